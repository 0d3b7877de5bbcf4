"""Per-conversation state (a guided /addnotice's answers so far), kept only while there is some.

A user who asks something and goes costs nothing here: `Sessions.of(chat, user)` hands out an empty Session
that is stored only when something is written into it, and is dropped again when it becomes empty. At most
`capacity` conversations are kept (least recently touched first out): one abandoned half-way is forgotten
rather than kept forever. Updates of one chat are processed one at a time (ChatOrderedProcessor), so a
session is never written by two handlers at once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

Key = tuple[int, int]  # (chat id, user id): a conversation belongs to one user in one chat


class Session(dict[str, Any]):
    """A dict that tells its Sessions when it gains its first item or loses its last."""

    __slots__ = ("_key", "_owner")

    def __init__(self, owner: Sessions, key: Key) -> None:
        super().__init__()
        self._owner = owner
        self._key = key

    def _changed(self) -> None:
        self._owner._settle(self._key, self)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._changed()
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item


class Sessions:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Key, Session] = OrderedDict()

    def of(self, chat_id: int, user_id: int) -> Session:
        key = (chat_id, user_id)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        return Session(self, key)  # not stored until written

    def _settle(self, key: Key, session: Session) -> None:
        if not session:
            if self._items.get(key) is session:
                del self._items[key]
            return
        self._items[key] = session
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
