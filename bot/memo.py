"""Answers derived from a unit's view, kept while that view is current.

A write makes a unit a new view object (Registry.changed drops the old one), so an answer keyed by the view's
identity is renewed by the write itself, with no invalidation to forget. Each entry holds its view, so an id is
never reused while the entry lives. Bounded: the oldest entry goes first.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class ViewMemo(Generic[Value]):
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: dict[tuple[Hashable, ...], tuple[object, Value]] = {}

    def get(self, view: object, *key: Hashable) -> Value | None:
        hit = self._items.get((id(view), *key))
        return hit[1] if hit is not None and hit[0] is view else None

    def put(self, view: object, *key: Hashable, value: Value) -> Value:
        self._items[(id(view), *key)] = (view, value)
        if len(self._items) > self.size:
            del self._items[next(iter(self._items))]
        return value
