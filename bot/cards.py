"""The QR card: PNGs with a QR per channel that still scan after Telegram re-encodes them.

Telegram turns photos into JPEGs whose longest side is at most 1280 px. The card is drawn at that width
already (so it is not scaled down sideways), in greyscale, with QR modules of at least 8 px and the standard
4-module quiet zone, which survives JPEG artefacts. Rendering is deterministic, so a card is cached by the hash of
what it shows: an unchanged card is drawn once.

A card for many channels is several images (`paginate`): at most MAX_PER_IMAGE channels and MAX_IMAGE_HEIGHT
px each. Telegram refuses a photo whose width + height passes 10,000 px (PHOTO_INVALID_DIMENSIONS), but the real
limit comes first: a tall image is shrunk to 1280 px high, and its QR codes with it. At 3,400 px a module is still
≥ 3.4 px after the shrink (≥ 4.5 px for the usual URL lengths), which decodes after JPEG; at 9,600 px (the 27
channels one image used to hold) it is 1.2 px, and codes start to fail. Each image repeats the title and the
footer, and says which channels of how many it shows: any one of them forwarded alone still stands alone.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import hashlib
import io
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, replace
from functools import cache, lru_cache
from typing import TypeVar

import fontpkg_be_vietnam_pro
import qrcode
import qrcode.util
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.i18n import bilingual
from bot.text import nfc

WIDTH = 1280
MARGIN = 56
QR_TARGET = 500  # px for a QR with its quiet zone; modules stay ≥ 8 px for URLs up to ~100 characters
MIN_MODULE = 8
INK, GREY, PAPER = 0, 90, 255
MAX_IMAGE_HEIGHT = 3400  # see the module docstring
MAX_PER_IMAGE = 8  # channels per image: 10 images (an album) then hold 80, and their 80 URL buttons fit one keyboard
ALBUM_SIZE = 10  # Telegram's most photos per sendMediaGroup


@dataclass(frozen=True)
class CardEntry:
    platform: str  # label, e.g. "Facebook"
    name: str
    url: str
    source: str = ""  # the notice that announced it, or who added it and when


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


# --- QR codes: 1-bit module matrices, cached per URL within a byte budget ---------------------------------------
class QrCache:
    """QR module matrices by URL, 1 bit per module (a ~100-character URL: ~300 bytes), LRU within `max_bytes`.

    Choosing the best mask is most of a card's drawing time, and URLs change far less often than cards do. The
    scaled-up greyscale image (~250 KB each) is drawn from the matrix at paste time, which costs ~0.1 ms. Card
    renders run in worker threads: the cache takes a lock.
    """

    ENTRY_OVERHEAD = 160  # the dict slot, the key string's header, the tuple: counted so tiny entries add up too

    def __init__(self, max_bytes: int = 2 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.encodes = 0

    @classmethod
    def cost(cls, url: str, packed: bytes) -> int:
        return len(packed) + len(url.encode()) + cls.ENTRY_OVERHEAD

    def matrix(self, url: str) -> tuple[int, bytes]:
        """(size, rows packed 1 bit per module, 1 = light), quiet zone included."""
        with self._lock:
            found = self._items.get(url)
            if found is not None:
                self._items.move_to_end(url)
                return found
        found = _encode(url)
        with self._lock:
            self.encodes += 1
            if url not in self._items:
                self._items[url] = found
                self.bytes += self.cost(url, found[1])
                while self.bytes > self.max_bytes and len(self._items) > 1:
                    old_url, (_, old) = self._items.popitem(last=False)
                    self.bytes -= self.cost(old_url, old)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def _encode(url: str) -> tuple[int, bytes]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)  # also picks the mask that scanners read best
    matrix = qr.get_matrix()  # with the quiet zone
    size = len(matrix)
    light = Image.frombytes("L", (size, size), bytes(PAPER if not dark else INK for row in matrix for dark in row))
    return size, light.convert("1", dither=Image.Dither.NONE).tobytes()


QR_CACHE = QrCache()


def qr_image(url: str) -> Image.Image:
    """A greyscale QR of `url` with a 4-module quiet zone and modules of at least MIN_MODULE px."""
    size, packed = QR_CACHE.matrix(url)
    modules = Image.frombytes("1", (size, size), packed).convert("L")
    box = max(MIN_MODULE, QR_TARGET // size)
    return modules.resize((size * box, size * box), Image.Resampling.NEAREST)


def qr_side(url: str) -> int:
    """An upper bound of the side in px of `url`'s QR as drawn, without encoding it: the version byte mode would
    need (qrcode may pick a smaller one by mixing modes). Sides stay ≤ QR_TARGET up to 62 modules, then grow."""
    bits = 8 * len(url.encode())
    limits = qrcode.util.BIT_LIMIT_TABLE[ERROR_CORRECT_M]
    version = next((v for v in range(1, 41) if 4 + (8 if v < 10 else 16) + bits <= limits[v]), 40)
    size = version * 4 + 17 + 8
    return max(QR_TARGET, size * MIN_MODULE)


# --- layout ------------------------------------------------------------------------------------------------------
def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, *, anywhere: bool = False) -> list[str]:
    """Greedy word wrap by measured width; URLs (`anywhere`) may break between any two characters."""
    if font.getlength(text) <= width:
        return [text]
    if anywhere:  # the longest prefix that fits, found by bisection: log n measurements per line, not n
        lines: list[str] = []
        rest = text
        while rest:
            if font.getlength(rest) <= width:
                lines.append(rest)
                break
            lo, hi = 1, len(rest)  # lo always "fits" (one character at least, however wide)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if font.getlength(rest[:mid]) <= width:
                    lo = mid
                else:
                    hi = mid - 1
            lines.append(rest[:lo])
            rest = rest[lo:]
        return lines
    tokens = text.split(" ")
    sep = " "
    lines = []
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


def _fonts() -> dict[str, ImageFont.FreeTypeFont]:
    return {"title": _font("Bold", 46), "sub": _font("Regular", 28), "label": _font("Bold", 30),
            "name": _font("Medium", 26), "url": _font("Regular", 24), "foot": _font("Regular", 24),
            "source": _font("Regular", 21)}


def _head_height(spec: CardSpec) -> int:
    f, inner = _fonts(), WIDTH - 2 * MARGIN
    y = MARGIN + 60 * len(_wrap(nfc(spec.title), f["title"], inner))
    y += 38 * len(_wrap(nfc(spec.subtitle), f["sub"], inner)) if spec.subtitle else 0
    return y + 16 + 24


def _foot_height(footer: tuple[str, ...]) -> int:
    f, inner = _fonts(), WIDTH - 2 * MARGIN
    return 20 + sum(34 * len(_wrap(nfc(text), f["foot"], inner)) for text in footer) + MARGIN - 10


@lru_cache(maxsize=20_000)
def _entry_height(entry: CardEntry, cell: int) -> int:
    """Below the QR: the label, the wrapped name, the wrapped URL. Memoized by content: after a write, a unit's
    layout measures only the channels that changed (measuring is most of a large card's layout)."""
    f = _fonts()
    return (4 + 42 + 34 * len(_wrap(nfc(entry.name), f["name"], cell - 24))
            + 32 * len(_wrap(entry.url, f["url"], cell - 24, anywhere=True))
            + (8 + 30 * len(_wrap(nfc(entry.source), f["source"], cell - 24)) if entry.source else 0))


def _part_line(first: int, last: int, total: int, part: int, parts: int) -> str:
    return f"{bilingual('card_image')} {part}/{parts} · {bilingual('card_channels')} {first}–{last} / {total}"


def paginate(spec: CardSpec) -> tuple[CardSpec, ...]:
    """The card as images within MAX_IMAGE_HEIGHT px and MAX_PER_IMAGE channels each; a card that fits one image
    is returned as it is (its content hash, hence its cached file_id, unchanged)."""
    entries = spec.entries
    if len(entries) <= 2:
        return (spec,)
    cell = (WIDTH - 2 * MARGIN) // 2
    rows = [entries[i : i + 2] for i in range(0, len(entries), 2)]
    row_heights = [max(qr_side(e.url) for e in row) + max(_entry_height(e, cell) for e in row) + 28 for row in rows]
    # The longest part line any image could get, so that the budget holds whatever the numbers turn out to be.
    n = len(entries)
    probe = _part_line(n, n, n, n, n)
    fixed = _head_height(spec) + _foot_height((*spec.footer, probe))
    groups: list[list[int]] = [[]]
    height = fixed
    for i, h in enumerate(row_heights):
        count = 2 * len(groups[-1])
        if groups[-1] and (height + h > MAX_IMAGE_HEIGHT or count + len(rows[i]) > MAX_PER_IMAGE):
            groups.append([])
            height = fixed
        groups[-1].append(i)
        height += h
    if len(groups) == 1:
        return (spec,)
    parts: list[CardSpec] = []
    start = 0
    for number, group in enumerate(groups, 1):
        chunk = tuple(e for i in group for e in rows[i])
        line = _part_line(start + 1, start + len(chunk), n, number, len(groups))
        parts.append(replace(spec, entries=chunk, footer=(*spec.footer, line)))
        start += len(chunk)
    return tuple(parts)


def render_card(spec: CardSpec) -> bytes:
    """Draw the card (one image: see `paginate` for many channels) as PNG bytes."""
    f = _fonts()
    title_font, sub_font, label_font, name_font, url_font = f["title"], f["sub"], f["label"], f["name"], f["url"]
    foot_font = f["foot"]
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
            if entry.source:
                ty += 8
                for line in _wrap(nfc(entry.source), f["source"], cell - 24):
                    blocks.append((centre, ty, line, f["source"], GREY, True))
                    ty += 30
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


log = logging.getLogger(__name__)
T = TypeVar("T")
_pool: ProcessPoolExecutor | None = None


def _die_with_parent(parent: int) -> None:
    """In the worker: end when the bot ends, however it ends (kill -9 included) — an orphan would hold the
    bot's stderr open and its memory for nothing. Linux's PR_SET_PDEATHSIG; elsewhere the worker ends when its
    queue breaks, as concurrent.futures does anyway."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the bot died before that took effect
        os._exit(0)


def _render_pool() -> ProcessPoolExecutor:
    """One worker process that draws cards, started on the first render. Not a thread: drawing and PNG
    encoding hold the GIL for up to hundreds of milliseconds at a time (measured: the event loop lagged 87 ms
    at p99, 378 ms at most, while a 400-channel card was drawn in threads), and their buffers fragment the
    bot's own heap. One worker: the other core answers users."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_die_with_parent, initargs=(os.getpid(),))
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


async def _in_worker(work: Callable[[CardSpec], T], spec: CardSpec) -> T:
    """`work(spec)` in the card worker process; in a thread if the process cannot be had (it died, say: a new
    one is started next time)."""
    global _pool
    try:
        return await asyncio.get_running_loop().run_in_executor(_render_pool(), work, spec)
    except (BrokenProcessPool, OSError) as exc:
        log.warning("the card worker process failed (%s); working in a thread", exc)
        _pool = None
        return await asyncio.to_thread(work, spec)


async def render_off_loop(spec: CardSpec) -> bytes:
    return await _in_worker(render_card, spec)


def pages_and_keys(spec: CardSpec) -> tuple[tuple[CardSpec, ...], tuple[str, ...]]:
    """The card's images (paginate) and their content hashes."""
    pages = paginate(spec)
    return pages, tuple(p.content_hash() for p in pages)


INLINE_ENTRIES = 8  # up to this many channels a card is laid out on the caller's thread (well under 1 ms)


async def card_pages(spec: CardSpec) -> tuple[tuple[CardSpec, ...], tuple[str, ...]]:
    """pages_and_keys, off the event loop for a large card: laying out 400 channels measures ~12,000 strings
    (0.5 s), which on the loop would stall every other user's answer."""
    if len(spec.entries) <= INLINE_ENTRIES:
        return pages_and_keys(spec)
    return await _in_worker(pages_and_keys, spec)


class CardCache:
    """Rendered card images by content hash (LRU). The hash is also the key of the file_id cache.

    `render` draws in the card worker process (render_off_loop), never on the event loop, and at most once at a
    time per key: 50 users asking for the same new card at the same moment wait for one render (`renders`
    counts them).
    """

    def __init__(self, capacity: int = 128) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._capacity = capacity
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self.renders = 0

    def _remember(self, key: str, png: bytes) -> None:
        self._items[key] = png
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def get(self, spec: CardSpec) -> tuple[str, bytes]:
        """Synchronously (the console, tests, benchmarks): drawn on the caller's thread if not cached."""
        key = spec.content_hash()
        png = self._items.get(key)
        if png is None:
            png = render_card(spec)
            self.renders += 1
            self._remember(key, png)
        else:
            self._items.move_to_end(key)
        return key, png

    async def render(self, spec: CardSpec, key: str | None = None) -> bytes:
        """The image's PNG, drawn off the event loop; concurrent callers for one key share one render."""
        key = key or spec.content_hash()
        png = self._items.get(key)
        if png is not None:
            self._items.move_to_end(key)
            return png
        task = self._inflight.get(key)
        if task is None:
            # A task of its own: a waiter that is cancelled (its update timed out) cancels no one else's render.
            task = self._inflight[key] = asyncio.ensure_future(self._draw(spec, key))
        return await asyncio.shield(task)

    async def _draw(self, spec: CardSpec, key: str) -> bytes:
        try:
            self.renders += 1
            png = await render_off_loop(spec)
            self._remember(key, png)
            return png
        finally:
            del self._inflight[key]
