"""The Reply model: what a command answers, independent of any front-end.

Handlers build Replies; each front-end renders them (HTML and buttons for Telegram, bot.frontends.plain's numbered
lines for the console and Zalo). Text is kept as lines of styled spans so that escaping and markup are the
renderer's job, never the handler's. A Reply carries:
- lines of text, every URL in full;
- actions: choices (a command and its argument: ids and slugs, never names) and one pager;
- a typed confirmation (Confirm / Cancel, offered as buttons or as words to type);
- attachments: the card (one image or an album) and files;
- effects applied after sending (someone's role changed; someone else to tell).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.i18n import t
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


# The tightest limit an action must be packed into: Telegram's 64 bytes of callback data ("command|arg").
ACTION_BYTES = 64


class ActionTooLong(ValueError):
    """An action that no front-end could pack: refused where it is made, never dropped silently later."""


@dataclass(frozen=True)
class Choice:
    """A follow-up the user can pick: a button, or a numbered line to answer with its number."""

    label: str
    command: str  # e.g. "channels"
    arg: str  # an id or slug, never a name

    def __post_init__(self) -> None:
        if len(f"{self.command}|{self.arg}".encode()) > ACTION_BYTES:
            raise ActionTooLong(f"/{self.command} {self.arg!r} does not fit {ACTION_BYTES} bytes")


@dataclass(frozen=True)
class Pager:
    """Page `page` of `pages` of what `/<command> <arg> <page>` lists: front-ends offer the pages around it."""

    command: str
    arg: str  # what the command lists (a unit's slug; empty for the list of units)
    page: int
    pages: int

    def turn(self, page: int, label: str) -> Choice:
        return Choice(label, self.command, f"{self.arg} {page}".strip())

    def actions(self, lang: str) -> list[Choice]:
        """The previous and the next page, where there are some."""
        turns = []
        if self.page > 1:
            turns.append(self.turn(self.page - 1, t("prev", lang)))
        if self.page < self.pages:
            turns.append(self.turn(self.page + 1, t("next", lang)))
        return turns


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
    share_query: str | None = None  # what to offer to share on (Telegram: into a chat, through inline mode)
    confirm: Confirmation | None = None
    pager: Pager | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content): exports, posters
    settled: bool = False  # answers a Confirm / Cancel for good: its buttons can go
    role_changed: Person | None = None  # whose admin role changed: front-ends refresh that user's menu
    alert: bool = False  # a refusal: to a button press in a group, shown to the presser alone
    answer_replied: bool = False  # answers the message the request replied to (a /verify as a reply)
    language: str | None = None  # the caller chose this language (/lang): kept for them from now on
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


def actions(reply: Reply, lang: str) -> list[Choice]:
    """Everything a user can pick in a reply, in order: its choices, then the pages around it."""
    return [*reply.choices, *(reply.pager.actions(lang) if reply.pager else [])]
