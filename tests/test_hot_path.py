"""The per-update shortcuts of issue 12 keep behaviour: a cached card's Reply is shared and rendered once, and a
changed unit gets a new one."""

from __future__ import annotations

from bot.frontends.telegram import _rendering
from bot.people import Person
from bot.replies import to_plain
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


async def test_a_notice_page_reply_is_shared_per_language_and_place_asked_and_renewed_by_a_write(
        registry: Registry) -> None:
    def ctx(lang: str = "vi") -> Context:
        return Context(registry, lang, Person.telegram(1))

    first = await public.notice(ctx(), "cần thơ")
    assert await public.notice(ctx(), "can tho") is first
    assert await public.notice(ctx("en"), "cần thơ") is not first
    assert _rendering(await public.notice(ctx(), "cần thơ"), "vi") is _rendering(first, "vi")
    # Another place of the same unit (a former province) gets its own Reply: it says what it merged into.
    former = await public.notice(ctx(), "hậu giang")
    assert former is not first and "Hậu Giang" in to_plain(former.lines) and "Hậu Giang" not in to_plain(first.lines)
    registry.changed("can_tho")
    renewed = await public.notice(ctx(), "cần thơ")
    assert renewed is not first and renewed.lines == first.lines


async def test_a_verify_reply_is_shared_until_the_next_write_and_never_outlives_it(registry: Registry) -> None:
    from bot.changes import Changes

    url = "https://www.facebook.com/canthotv.official"

    def ctx(lang: str = "vi") -> Context:
        return Context(registry, lang, Person.telegram(1))

    first = await public.verify(ctx(), url)
    assert await public.verify(ctx(), url) is first and await public.verify(ctx("en"), url) is not first
    assert await public.verify(ctx(), "https://zalo.me/3460461954401350861") is not first
    changes = Changes(registry)
    token = await changes.propose(Person.telegram(1), "add_channel", {
        "place_slug": "can_tho", "platform": "facebook", "url": url, "name": "Truyền hình Cần Thơ"})
    await changes.confirm(token, Person.telegram(1), "a")
    after = await public.verify(ctx(), url)
    assert after is not first and to_plain(after.lines) != to_plain(first.lines)  # now it says "official"
