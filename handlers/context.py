"""What a handler knows about the request, whatever front-end it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.i18n import t
from bot.services import Registry


@dataclass
class Context:
    registry: Registry
    lang: str
    user_id: int
    user_name: str | None = None
    bot_username: str = ""
    private: bool = True
    super_admins: frozenset[int] = frozenset()
    # Per-user state a front-end keeps between messages (a guided conversation's answers so far).
    session: dict[str, Any] = field(default_factory=dict)
    # The user whose message this one replies to, if any: /grant as a reply.
    reply_to_user: tuple[int, str | None] | None = None

    def t(self, key: str, **kwargs: object) -> str:
        return t(key, self.lang, **kwargs)
