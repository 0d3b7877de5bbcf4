"""The per-update shortcuts of issue 12 keep behaviour: a cached card's Reply is shared and rendered once, and a
changed unit gets a new one."""

from __future__ import annotations

from bot.frontends.telegram import _rendering
from bot.people import Person
from bot.services import Registry
from handlers import Context, public


async def test_a_card_reply_is_shared_rendered_once_and_renewed_when_its_unit_changes(registry: Registry) -> None:
    found = registry.resolve("cần thơ")
    first = await public._card(Context(registry, "vi", Person.telegram(1)), found, "cần thơ")
    again = await public._card(Context(registry, "vi", Person.telegram(2)), found, "cần thơ")
    english = await public._card(Context(registry, "en", Person.telegram(3)), found, "cần thơ")
    assert again is first and english is not first
    rendering = _rendering(first, "vi")
    assert _rendering(again, "vi") is rendering and rendering.caption.startswith("<b>")
    assert found.place is not None
    registry.changed(found.place.slug)  # a write to the unit: a new view, so a new Reply
    renewed = await public._card(Context(registry, "vi", Person.telegram(1)), found, "cần thơ")
    assert renewed is not first and renewed.lines == first.lines


async def test_verdicts_and_notice_pages_are_kept_until_the_next_write(registry: Registry) -> None:
    from bot.changes import Changes

    url = "https://www.facebook.com/canthotv.official"
    first = await registry.verify(url)
    assert first.status == "unregistered" and await registry.verify(url) is first  # no query the second time
    page = await registry.notices_of(registry.places.places["can_tho"])
    assert await registry.notices_of(registry.places.places["can_tho"]) is page
    changes = Changes(registry)
    token = await changes.propose(
            Person.telegram(1), "add_channel", {"place_slug": "can_tho", "platform": "facebook", "url": url,
                                                    "name": "Truyền hình Cần Thơ"})
    await changes.confirm(token, Person.telegram(1), "a")
    assert (await registry.verify(url)).status == "official"  # the write dropped the old verdict
    assert await registry.notices_of(registry.places.places["can_tho"]) is not page
