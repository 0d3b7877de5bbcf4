"""Telegram's text rules for a Reply: HTML (every string escaped here, once), lengths as Telegram counts them
(UTF-16 code units after entity parsing), at most 100 entities a message, and splitting between lines."""

from __future__ import annotations

import html
import re

from bot.replies import Line, Span, to_plain

_TAGS = {"bold": ("<b>", "</b>"), "italic": ("<i>", "</i>"), "code": ("<code>", "</code>"), "plain": ("", "")}


def to_html(lines: list[Line]) -> str:
    """Telegram HTML: every stored or user-supplied string is escaped here, once."""
    out = []
    for line in lines:
        out.append("".join(f"{_TAGS[s.style][0]}{html.escape(s.text, quote=False)}{_TAGS[s.style][1]}" for s in line))
    return "\n".join(out).strip("\n")


def visible_length(lines: list[Line]) -> int:
    """Length as Telegram counts it after entity parsing: UTF-16 code units of the plain text."""
    return len(to_plain(lines).encode("utf-16-le")) // 2


_URL_START = re.compile(r"https?://")


def entity_count(lines: list[Line]) -> int:
    """Formatting entities plus the URLs a client will link: Telegram allows 100 per message."""
    return sum(s.style != "plain" for line in lines for s in line) + len(_URL_START.findall(to_plain(lines)))


def chunk_lines(lines: list[Line], max_length: int, max_entities: int = 100) -> list[list[Line]]:
    """Split a long reply between lines so that every part fits a message; a too-long line is cut hard."""
    chunks: list[list[Line]] = [[]]
    # The last chunk's length before stripping (its lines' UTF-16 lengths plus one per line break: never less
    # than visible_length) and its entities (additive: a URL never spans a line break), kept as lines are added.
    length = entities = 0
    for line in lines:
        line_length = visible_length([line])
        if line_length > max_length:
            text = to_plain([line])
            for start in range(0, len(text), max_length // 2):
                chunks.append([(Span(text[start : start + max_length // 2]),)])
            chunks.append([])
            length = entities = 0
            continue
        line_entities = entity_count([line])
        raw = len("".join(s.text for s in line).encode("utf-16-le")) // 2
        last = chunks[-1]
        bound = length + 1 + raw if last else raw
        too_long = bound > max_length and visible_length([*last, line]) > max_length
        if last and (too_long or entities + line_entities > max_entities):
            chunks.append([line])
            length, entities = raw, line_entities
        else:
            last.append(line)
            length, entities = bound, entities + line_entities
    return [c for c in chunks if to_plain(c).strip()]
