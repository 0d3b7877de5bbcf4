"""Per-user state behind one interface, kept in SQLite so that it survives a restart.

Two kinds, both small and rare (most users have neither):
- a conversation, per (person, chat): a guided /addnotice's answers so far, a notice being pasted, the last
  numbered menu and the preview waiting for a typed "yes" (front-ends without buttons);
- a preference, per person: the language chosen with /lang.

Which (person, chat) pairs have a conversation is read once at start-up; afterwards this process is the only
writer, so that set stays exact. A user with no state costs nothing: nothing is kept, looked up on disk or
written for them (tests/test_sessions.py). The conversations themselves are cached in memory up to `capacity`
(least recently used out, read back from the store when needed); every change is written through before the
reply that depends on it is sent.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from bot.people import Person
from bot.store import Store

Key = tuple[Person, str]  # (who, in which chat): a conversation belongs to one user in one chat


class UserState:
    def __init__(self, store: Store, capacity: int = 10_000) -> None:
        self.store = store
        self.capacity = capacity
        self._keys: set[Key] = set()  # every (person, chat) that has a conversation in the store
        self._cache: OrderedDict[Key, str] = OrderedDict()  # some of them, as JSON (handed out as copies)
        self._languages: dict[Person, str] = {}

    async def load(self) -> None:
        """Read what the store holds (a restart picks up every open conversation and every /lang)."""
        self._keys = set(await self.store.conversation_keys())
        self._cache.clear()
        self._languages = dict(await self.store.all_languages())

    async def conversation(self, person: Person, chat: str) -> dict[str, Any]:
        """A fresh copy of the conversation's state (empty: none). Change it, then `save` it."""
        key = (person, chat)
        if key not in self._keys:
            return {}
        found = self._cache.get(key)
        if found is None:
            state = await self.store.conversation(person, chat) or {}
            found = self._remember(key, json.dumps(state, ensure_ascii=False, sort_keys=True))
        else:
            self._cache.move_to_end(key)
        return dict(json.loads(found))

    async def save(self, person: Person, chat: str, state: dict[str, Any]) -> None:
        """Keep `state` (written to the store only when it differs from what is kept); empty ends it."""
        key = (person, chat)
        encoded = json.dumps(state, ensure_ascii=False, sort_keys=True) if state else None
        if encoded is None and key not in self._keys:
            return
        if encoded is not None and encoded == self._cache.get(key):
            return
        await self.store.save_conversation(person, chat, state or None)
        if encoded is None:
            self._keys.discard(key)
            self._cache.pop(key, None)
        else:
            self._keys.add(key)
            self._remember(key, encoded)

    def _remember(self, key: Key, encoded: str) -> str:
        self._cache[key] = encoded
        self._cache.move_to_end(key)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return encoded

    def language(self, person: Person) -> str | None:
        return self._languages.get(person)

    async def set_language(self, person: Person, lang: str) -> None:
        if self._languages.get(person) != lang:
            await self.store.set_language(person, lang)
            self._languages[person] = lang

    def __len__(self) -> int:
        """How many conversations are open."""
        return len(self._keys)
