"""What a handler knows about the request, whatever front-end it came from."""

from __future__ import annotations

from dataclasses import dataclass

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

    def t(self, key: str, **kwargs: object) -> str:
        return t(key, self.lang, **kwargs)
