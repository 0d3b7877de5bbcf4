"""The QR card: one PNG per unit, with a QR per channel, that still scans after Telegram re-encodes it.

Telegram turns photos into JPEGs whose longest side is at most 1280 px. The card is drawn at that width
already (so it is not scaled down), in greyscale, with QR modules of at least 8 px and the standard 4-module
quiet zone, which survives JPEG artefacts. Rendering is deterministic, so a card is cached by the hash of
what it shows: an unchanged card is drawn once.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from functools import cache, lru_cache

import fontpkg_be_vietnam_pro
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.text import nfc

WIDTH = 1280
MARGIN = 56
QR_TARGET = 500  # px for a QR with its quiet zone; modules stay ≥ 8 px for URLs up to ~100 characters
MIN_MODULE = 8
INK, GREY, PAPER = 0, 90, 255


@dataclass(frozen=True)
class CardEntry:
    platform: str  # label, e.g. "Facebook"
    name: str
    url: str


@dataclass(frozen=True)
class CardSpec:
    title: str
    subtitle: str
    entries: tuple[CardEntry, ...]
    footer: tuple[str, ...]

    def content_hash(self) -> str:
        payload = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()


@cache
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fontpkg_be_vietnam_pro.ROOT / "files" / f"BeVietnamPro-{weight}.ttf"), size)


@lru_cache(maxsize=1024)
def qr_image(url: str) -> Image.Image:
    """A greyscale QR of `url` with a 4-module quiet zone and modules of at least MIN_MODULE px.

    Cached per URL: choosing the best mask is most of a card's drawing time, and URLs change far less often
    than cards do (a new notice, a new date). Callers paste the image and never modify it.
    """
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)  # also picks the mask that scanners read best
    matrix = qr.get_matrix()  # with the quiet zone
    size = len(matrix)
    # One pixel per module, then scaled up without smoothing: the same image qrcode's PIL backend draws module
    # by module, in a fraction of the time.
    modules = Image.frombytes("L", (size, size), bytes(INK if dark else PAPER for row in matrix for dark in row))
    box = max(MIN_MODULE, QR_TARGET // size)
    return modules.resize((size * box, size * box), Image.Resampling.NEAREST)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, *, anywhere: bool = False) -> list[str]:
    """Greedy word wrap by measured width; URLs (`anywhere`) may break between any two characters."""
    if font.getlength(text) <= width:
        return [text]
    tokens = list(text) if anywhere else text.split(" ")
    sep = "" if anywhere else " "
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current}{sep}{token}" if current else token
        if font.getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = token
    if current:
        lines.append(current)
    return lines or [""]


def render_card(spec: CardSpec) -> bytes:
    """Draw the card as PNG bytes."""
    title_font, sub_font = _font("Bold", 46), _font("Regular", 28)
    label_font, name_font, url_font = _font("Bold", 30), _font("Medium", 26), _font("Regular", 24)
    foot_font = _font("Regular", 24)
    inner = WIDTH - 2 * MARGIN
    columns = 1 if len(spec.entries) <= 1 else 2
    cell = inner // columns

    # Lay everything out first, then size the canvas to fit.
    blocks: list[tuple[int, int, str, ImageFont.FreeTypeFont, int, bool]] = []  # (x, y, text, font, color, centre)
    y = MARGIN
    for line in _wrap(nfc(spec.title), title_font, inner):
        blocks.append((MARGIN, y, line, title_font, INK, False))
        y += 60
    for line in _wrap(nfc(spec.subtitle), sub_font, inner) if spec.subtitle else []:
        blocks.append((MARGIN, y, line, sub_font, GREY, False))
        y += 38
    y += 16
    rule_y = y
    y += 24
    qrs: list[tuple[int, int, Image.Image]] = []
    for row_start in range(0, len(spec.entries), columns):
        row = spec.entries[row_start : row_start + columns]
        images = [qr_image(entry.url) for entry in row]
        qr_height = max(img.height for img in images)
        row_bottom = y
        for col, (entry, img) in enumerate(zip(row, images, strict=True)):
            cx = MARGIN + col * cell
            qrs.append((cx + (cell - img.width) // 2, y + (qr_height - img.height) // 2, img))
            ty = y + qr_height + 4
            centre = cx + cell // 2
            blocks.append((centre, ty, nfc(entry.platform), label_font, INK, True))
            ty += 42
            for line in _wrap(nfc(entry.name), name_font, cell - 24):
                blocks.append((centre, ty, line, name_font, INK, True))
                ty += 34
            for line in _wrap(entry.url, url_font, cell - 24, anywhere=True):
                blocks.append((centre, ty, line, url_font, GREY, True))
                ty += 32
            row_bottom = max(row_bottom, ty)
        y = row_bottom + 28
    foot_rule_y = y
    y += 20
    for text in spec.footer:
        for line in _wrap(nfc(text), foot_font, inner):
            blocks.append((MARGIN, y, line, foot_font, GREY, False))
            y += 34
    height = y + MARGIN - 10

    canvas = Image.new("L", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(canvas)
    draw.line([(MARGIN, rule_y), (WIDTH - MARGIN, rule_y)], fill=180, width=2)
    draw.line([(MARGIN, foot_rule_y), (WIDTH - MARGIN, foot_rule_y)], fill=180, width=2)
    for x, qy, img in qrs:
        canvas.paste(img, (x, qy))
    for x, by, text, font, color, centre in blocks:
        draw.text((x, by), text, font=font, fill=color, anchor="ma" if centre else "la")
    out = io.BytesIO()
    # Level 3: half the encoding time of the default 6 for ~25 % more bytes, uploaded once per card.
    canvas.save(out, format="PNG", compress_level=3)
    return out.getvalue()


class CardCache:
    """Rendered cards by content hash (LRU). The hash is also the key of the file_id cache."""

    def __init__(self, capacity: int = 128) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._capacity = capacity
        self.renders = 0

    def get(self, spec: CardSpec) -> tuple[str, bytes]:
        key = spec.content_hash()
        png = self._items.get(key)
        if png is None:
            png = render_card(spec)
            self.renders += 1
            self._items[key] = png
            if len(self._items) > self._capacity:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return key, png
