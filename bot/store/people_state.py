"""Per-person state that survives a restart: guided conversations (table conversations), the language chosen
with /lang (user_prefs), and the update ids a platform may deliver twice (seen_updates).

Invariants: one conversation per (platform, user, chat), removed when it ends (nothing kept for an empty
state); one language per person; an update id is delivered once within `keep` seconds, older ids forgotten.
"""

from __future__ import annotations

import json
from typing import Any

from bot.people import Person
from bot.store.connection import StoreBase, now_iso


class PeopleStateStore(StoreBase):
    """The conversations, user_prefs and seen_updates tables."""

    async def conversation(self, person: Person, chat_id: str) -> dict[str, Any] | None:
        row = await self._one("SELECT state FROM conversations WHERE platform = ? AND user_id = ? AND chat_id = ?",
                              (person.platform, person.id, chat_id))
        return json.loads(row[0]) if row else None

    async def conversation_keys(self) -> list[tuple[Person, str]]:
        rows = await self._all("SELECT platform, user_id, chat_id FROM conversations")
        return [(Person(r[0], r[1]), r[2]) for r in rows]

    async def all_languages(self) -> list[tuple[Person, str]]:
        return [(Person(r[0], r[1]), r[2]) for r in await self._all("SELECT platform, user_id, lang FROM user_prefs")]

    async def save_conversation(self, person: Person, chat_id: str, state: dict[str, Any] | None) -> None:
        """Store a conversation's state (None or empty: it ended, and nothing is kept)."""
        async with self.transaction():
            if state:
                await self._exec(
                    "INSERT INTO conversations (platform, user_id, chat_id, state, updated_at) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (platform, user_id, chat_id) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (person.platform, person.id, chat_id, json.dumps(state, ensure_ascii=False), now_iso()))
            else:
                await self._exec("DELETE FROM conversations WHERE platform = ? AND user_id = ? AND chat_id = ?",
                                 (person.platform, person.id, chat_id))

    async def language(self, person: Person) -> str | None:
        row = await self._one("SELECT lang FROM user_prefs WHERE platform = ? AND user_id = ?",
                              (person.platform, person.id))
        return str(row[0]) if row else None

    async def set_language(self, person: Person, lang: str) -> None:
        async with self.transaction():
            await self._exec(
                "INSERT INTO user_prefs (platform, user_id, lang, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (platform, user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
                (person.platform, person.id, lang, now_iso()))

    async def first_delivery(self, platform: str, update_id: str, now: float, keep: float) -> bool:
        """True the first time an update id is seen (within `keep` seconds); older ids are forgotten."""
        async with self.transaction():
            await self._exec("DELETE FROM seen_updates WHERE seen_at < ?", (now - keep,))
            async with self._conn.execute(
                "INSERT INTO seen_updates (platform, update_id, seen_at) VALUES (?,?,?) "
                "ON CONFLICT (platform, update_id) DO NOTHING", (platform, update_id, now)) as cur:
                return cur.rowcount == 1
