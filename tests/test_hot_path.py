"""The per-update shortcuts of issue 12 keep behaviour: a cached card's Reply is shared and rendered once, and a
changed unit gets a new one."""

from __future__ import annotations

from bot.frontends.telegram import _rendering
from bot.services import Registry
from handlers import Context, public


async def test_a_card_reply_is_shared_rendered_once_and_renewed_when_its_unit_changes(registry: Registry) -> None:
    found = registry.resolve("cần thơ")
    first = await public._card(Context(registry, "vi", 1), found, "cần thơ")
    again = await public._card(Context(registry, "vi", 2), found, "cần thơ")
    english = await public._card(Context(registry, "en", 3), found, "cần thơ")
    assert again is first and english is not first
    rendering = _rendering(first, "vi")
    assert _rendering(again, "vi") is rendering and rendering.caption.startswith("<b>")
    assert found.place is not None
    registry.changed(found.place.slug)  # a write to the unit: a new view, so a new Reply
    renewed = await public._card(Context(registry, "vi", 1), found, "cần thơ")
    assert renewed is not first and renewed.lines == first.lines
