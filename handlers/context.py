"""What a handler knows about the request, whatever front-end it came from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.extract import FoundLink
from bot.i18n import t
from bot.people import Person
from bot.services import Registry


@dataclass
class Context:
    registry: Registry
    lang: str
    user: Person
    user_name: str | None = None
    chat: str = ""  # the chat's id on its platform (a conversation belongs to a user in a chat)
    bot_username: str = ""
    private: bool = True
    super_admins: frozenset[Person] = frozenset()
    # Per-user state a front-end keeps between messages (a guided conversation's answers so far).
    session: dict[str, Any] = field(default_factory=dict)
    # The user whose message this one replies to, if any: /grant as a reply.
    reply_to_user: tuple[Person, str | None] | None = None
    # Links of this message that its text does not show (a text_link's hidden target, with its visible text).
    links: tuple[FoundLink, ...] = ()
    # The message this one replies to: its text (None: not a reply) and every link in it, hidden ones included.
    replied_text: str | None = None
    replied_links: tuple[FoundLink, ...] = ()
    # BOT_PUBLIC_URL: a unit's card links to its page on the public directory (bot/web) when set.
    public_url: str = ""
    # The front-end has no buttons (console, Zalo): actions are numbered lines, a preview waits for typed words.
    typed: bool = False
    uploads: bool = True  # the front-end can receive a file from the user (Zalo cannot)
    # In a group: whether the sender administers it, asked of the platform only when a command needs it (None:
    # the platform cannot tell, and what needs a group's administrator is refused there).
    chat_admin: Callable[[], Awaitable[bool]] | None = None

    def t(self, key: str, **kwargs: object) -> str:
        return t(key, self.lang, **kwargs)
