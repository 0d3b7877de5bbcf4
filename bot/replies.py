"""The Reply model: what a command answers, independent of any front-end.

Handlers build Replies; each front-end renders them (HTML for Telegram, plain text for the console). Text is
kept as lines of styled spans so that escaping and markup are the renderer's job, never the handler's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.people import Person

Style = Literal["plain", "bold", "italic", "code"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = "plain"


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Image:
    """A PNG to attach, drawn only when a front-end needs the bytes (Telegram may reuse a file_id instead).

    `key` is the content hash: the card cache and the file_id cache are keyed by it.
    """

    key: str
    name: str
    render: Callable[[], bytes] = field(repr=False, compare=False)
    # The same bytes drawn off the event loop, one render per key however many ask (front-ends on a loop).
    load: Callable[[], Awaitable[bytes]] | None = field(default=None, repr=False, compare=False)

    @property
    def png(self) -> bytes:
        return self.render()

    async def png_async(self) -> bytes:
        return await self.load() if self.load is not None else self.render()


@dataclass(frozen=True)
class Album:
    """A card of several images (many channels): sent as an album (Telegram: 2–10 photos, one sendMediaGroup)."""

    images: tuple[Image, ...]

    @property
    def key(self) -> str:
        return "+".join(i.key for i in self.images)


def images_of(picture: Image | Album | None) -> tuple[Image, ...]:
    """A reply's picture as a list of images, whatever it is."""
    if picture is None:
        return ()
    return picture.images if isinstance(picture, Album) else (picture,)


@dataclass(frozen=True)
class Choice:
    """A follow-up the user can pick: a front-end shows a button, or the command to type."""

    label: str
    command: str  # e.g. "channels"
    arg: str  # an id or slug, never a name: it must fit in 64 bytes of callback data


@dataclass(frozen=True)
class UrlButton:
    label: str
    url: str


@dataclass(frozen=True)
class Confirmation:
    """A proposed change waiting for the caller's Confirm / Cancel."""

    token: str


@dataclass
class Reply:
    lines: list[Line] = field(default_factory=list)
    image: Image | Album | None = None  # one photo, or an album (see images_of)
    choices: list[Choice] = field(default_factory=list)
    buttons: list[UrlButton] = field(default_factory=list)
    share_query: str | None = None  # what the "share to a group" button puts into inline mode
    confirm: Confirmation | None = None
    page: tuple[str, int, int] | None = None  # (command, page, pages) for paged menus
    document: tuple[str, bytes] | None = None  # (file name, content) to send as a file
    extra_documents: list[tuple[str, bytes]] = field(default_factory=list)
    settled: bool = False  # answers a Confirm / Cancel for good: its buttons can go
    role_changed: Person | None = None  # whose admin role changed: front-ends refresh that user's menu
    alert: bool = False  # a refusal: to a button press in a group, shown to the presser alone
    answer_replied: bool = False  # answers the message the request replied to (a /verify as a reply)
    notify: list[tuple[Person, Reply]] = field(default_factory=list)  # (whom, message) to send that person too
    # A front-end's rendering of this reply (HTML, keyboard), made at its first send and reused when the same
    # Reply is sent again (a cached card): a Reply is not changed once sent.
    rendered: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    def add(self, *parts: Span | str) -> Reply:
        self.lines.append(tuple(p if isinstance(p, Span) else Span(p) for p in parts))
        return self

    def blank(self) -> Reply:
        if self.lines and self.lines[-1]:
            self.lines.append(())
        return self

    def extend(self, other: Reply) -> Reply:
        self.blank()
        self.lines.extend(other.lines)
        return self


def bold(text: str) -> Span:
    return Span(text, "bold")


def italic(text: str) -> Span:
    return Span(text, "italic")


def code(text: str) -> Span:
    return Span(text, "code")


def to_plain(lines: list[Line]) -> str:
    return "\n".join("".join(s.text for s in line) for line in lines).strip("\n")


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
