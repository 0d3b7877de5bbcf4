"""People across platforms: a user is (platform, id) — Telegram ids are integers, Zalo ids opaque strings.

The core, the store and the audit log only ever see a Person; a front-end turns its platform's user into one
(and back, for sending: Telegram ids stay integers on the wire).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM, ZALO, CONSOLE, WEB = "telegram", "zalo", "console", "web"
PLATFORMS = (TELEGRAM, ZALO, CONSOLE, WEB)

# What an id looks like on each platform. Telegram: ASCII digits (int() would also take "١٢٣" and "１２３");
# Zalo: an opaque token of ASCII letters, digits, "_" and "-"; the console has its one local user.
_ID_SHAPES = {
    TELEGRAM: re.compile(r"0|[1-9][0-9]{0,15}"),  # 0: no sender (a channel post)
    ZALO: re.compile(r"[A-Za-z0-9_-]{1,64}"),
    CONSOLE: re.compile(r"[a-z0-9_-]{1,32}"),
    WEB: re.compile(r"visitor"),  # the public directory's anonymous visitor: never an admin
}


@dataclass(frozen=True, slots=True, order=True)
class Person:
    platform: str
    id: str

    def __post_init__(self) -> None:
        shape = _ID_SHAPES.get(self.platform)
        if shape is None or not shape.fullmatch(self.id):
            raise ValueError(f"not a {self.platform} user id: {self.id!r}")

    @property
    def key(self) -> str:
        """"telegram:123", "zalo:6a1f…": one string, as written in BOT_ADMIN_IDS and shown in /history."""
        return f"{self.platform}:{self.id}"

    def __str__(self) -> str:
        return self.key

    @property
    def telegram_id(self) -> int | None:
        """The integer to send to on Telegram; None for anyone else."""
        return int(self.id) if self.platform == TELEGRAM else None

    @classmethod
    def telegram(cls, user_id: int) -> Person:
        return cls(TELEGRAM, str(user_id))


CONSOLE_USER = Person(CONSOLE, "local")
WEB_VISITOR = Person(WEB, "visitor")


def parse_person(text: str, default_platform: str = TELEGRAM) -> Person | None:
    """"123" (on `default_platform`), "telegram:123", "zalo:abc…" → a Person; None if it is not one."""
    text = text.strip()
    platform, sep, rest = text.partition(":")
    if sep and platform.lower() in PLATFORMS:
        platform, text = platform.lower(), rest.strip()
    else:
        platform = default_platform
    try:
        person = Person(platform, text)
    except ValueError:
        return None
    return None if person == Person(TELEGRAM, "0") else person


def person_from_key(key: str) -> Person:
    """The inverse of Person.key, for values the store wrote itself."""
    platform, _, user_id = key.partition(":")
    return Person(platform, user_id)
