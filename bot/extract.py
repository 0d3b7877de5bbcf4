"""Links in running text, the way people paste them.

Staff receive suspicious links inside forwarded messages, behind link text, in photo captions, wrapped in
brackets or followed by a full stop. This finds each link a reader (or their chat app) would open: punctuation
around it is not part of it, `<…>` and Markdown `[text](url)` forms give their target, and a link hidden behind
other text keeps that text so the verdict can show both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.links import is_government_host

MAX_LINKS = 10  # per message: a verdict each


@dataclass(frozen=True)
class FoundLink:
    url: str  # as written, without the punctuation around it
    shown: str | None = None  # the visible text when the link hides behind it (a text_link, Markdown)


_MARKDOWN = re.compile(r"\[([^\]\n]{1,200})\]\(\s*([^)\s]+(?:\([^)\s]*\)[^)\s]*)*)\s*\)")
_ANGLE = re.compile(r"<((?:https?://|www\.)[^>\s]+)>", re.IGNORECASE)
_SCHEME = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
# Without a scheme: a host with a path ("facebook.com/x"), or a bare host of a platform or a government body.
_BARE = re.compile(r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(/[^\s<>\"]*)?",
                   re.IGNORECASE)
_BARE_HOSTS = ("facebook.com", "fb.com", "fb.me", "zalo.me", "youtube.com", "youtu.be", "tiktok.com")
_OPENERS = "([{<«“‘\"'"
_TRAILING = ".,;:!?…'\"»”’›)]}>*_"


def links_in(text: str) -> list[FoundLink]:
    """Every link in `text`, in order, each once, at most MAX_LINKS."""
    found: list[FoundLink] = []
    taken: list[tuple[int, int]] = []

    def take(start: int, end: int, link: FoundLink) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(link)

    for m in _MARKDOWN.finditer(text):
        take(m.start(), m.end(), FoundLink(trim(m.group(2)), m.group(1).strip()))
    for m in _ANGLE.finditer(text):
        take(m.start(), m.end(), FoundLink(m.group(1)))
    for m in _SCHEME.finditer(text):
        url = trim(m.group(0))
        take(m.start(), m.start() + len(url), FoundLink(url))
    for m in _BARE.finditer(text):
        host, path = m.group(1).lower(), m.group(2)
        if path or host in _BARE_HOSTS or host.removeprefix("www.") in _BARE_HOSTS or is_government_host(host):
            url = trim(m.group(0))
            if "/" in url or path is None:
                take(m.start(), m.start() + len(url), FoundLink(url))
    ordered = sorted(zip(taken, found, strict=True), key=lambda pair: pair[0][0])
    unique: dict[tuple[str, str | None], FoundLink] = {}
    for _, link in ordered:
        unique.setdefault((link.url, link.shown), link)
    return list(unique.values())[:MAX_LINKS]


def trim(url: str) -> str:
    """Drop what surrounds a pasted link: a full stop, a comma, quotes, a closing bracket it did not open."""
    url = url.lstrip(_OPENERS)
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a bracket of the URL itself, as in Wikipedia-style paths
        url = url[:-1]
    return url
