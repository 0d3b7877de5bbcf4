"""One object per kind of change (bot.change_kinds): its preview is what its apply saves, and a preview writes
nothing.

Each test previews a change as the admin commands build it, confirms it through bot.changes, and compares the
unit's active channels afterwards with the preview's — every field a card shows, in the card's order."""

from __future__ import annotations

from typing import Any

import pytest

from bot.change_kinds import ADD_CHANNEL, EDIT_CHANNEL, KINDS, RETIRE_CHANNEL, PreviewedKind
from bot.changes import Changes, Outcome
from bot.models import Channel
from bot.people import Person
from bot.services import Registry

ADMIN = Person.telegram(1)
FANPAGE = "https://www.facebook.com/congthongtincantho"  # Cần Thơ's, id 2 in the seed
ZALO = "https://zalo.me/3460461954401350861"  # Cần Thơ's, id 3
BEN_TRE = "https://www.facebook.com/cttdtbentre"  # the former Bến Tre's, shown for Vĩnh Long, id 1
NEW_PAGE = "https://www.facebook.com/canthotv.official"
DAY = "2026-11-30"  # the preview's day: what the saved channels are checked on, whatever day Confirm comes

# What a card shows of a channel (bot.services: name, URL, platform, its source, since, the "as of" date), where
# it is, and whether it is shown at all (status). Not its id: a channel not saved yet has none.
SHOWN = ("place_slug", "platform", "name", "url", "status", "notice_id", "verified_on", "as_written", "since",
         "superseded_by")


def shown(channels: list[Channel]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(c, f) for f in SHOWN) for c in channels]


async def channel(registry: Registry, url: str) -> Channel:
    found = await registry.store.channel_by_url(url)
    assert found is not None
    return found


async def everything(registry: Registry) -> tuple[Any, ...]:
    """Every row a change could write, the database's own change counter and the row counts."""
    store = registry.store
    counts = [await store.count(t) for t in ("channels", "notices", "audit", "admins", "managing_units")]
    return (await store.all_channels(), await store.all_notice_ids(), await store.all_audit(), counts,
            await store.data_version())


async def unit_now(registry: Registry, place_slug: str) -> list[Channel]:
    places = registry.places
    return await registry.store.channels_of(registry.scope(places.unit_of(places.places[place_slug])))


async def preview_then_confirm(registry: Registry, kind: PreviewedKind, payload: dict[str, Any],
                               unit_of: str) -> tuple[list[Channel], list[Channel]]:
    """The preview's channels, and the unit's active channels once the same payload is confirmed."""
    before = await everything(registry)
    previewed = await kind.preview(registry, payload)
    assert await everything(registry) == before  # a preview writes nothing
    changes = Changes(registry)
    token = await changes.propose(ADMIN, kind.kind, payload)
    result = await changes.confirm(token, ADMIN, "Quản trị")
    assert result.outcome == Outcome.APPLIED, result
    saved = await unit_now(registry, unit_of)
    return previewed, saved


async def add(registry: Registry, url: str, place_slug: str = "can_tho", name: str = "Trang mới") -> Channel:
    payload = {"place_slug": place_slug, "platform": "facebook", "url": url, "name": name, "verified_on": "2026-01-02"}
    await preview_then_confirm(registry, ADD_CHANNEL, payload, place_slug)
    return await channel(registry, url)


def test_the_kinds_keep_the_names_databases_hold() -> None:
    assert set(KINDS) == {"add_channel", "edit_channel", "retire_channel", "add_notice", "import", "ingest",
                          "reverify"}
    assert all(k.kind == name for name, k in KINDS.items())
    assert (ADD_CHANNEL.kind, EDIT_CHANNEL.kind, RETIRE_CHANNEL.kind) == ("add_channel", "edit_channel",
                                                                          "retire_channel")


async def test_an_unknown_kind_is_refused(registry: Registry) -> None:
    changes = Changes(registry)
    token = await changes.propose(ADMIN, "rename_province", {})
    with pytest.raises(ValueError, match="unknown change kind"):
        await changes.confirm(token, ADMIN, None)


async def test_add_preview_is_what_is_saved(registry: Registry) -> None:
    payload = {"place_slug": "can_tho", "platform": "facebook", "url": NEW_PAGE, "name": "Trang mới",
               "verified_on": DAY}
    previewed, saved = await preview_then_confirm(registry, ADD_CHANNEL, payload, "can_tho")
    assert shown(previewed) == shown(saved)
    assert [c.url for c in saved] == [FANPAGE, ZALO, NEW_PAGE] and saved[-1].verified_on == DAY


async def test_add_to_a_former_province_preview_is_what_is_saved(registry: Registry) -> None:
    payload = {"place_slug": "old_ben_tre", "platform": "facebook", "url": NEW_PAGE, "name": "Bến Tre mới",
               "verified_on": DAY}
    previewed, saved = await preview_then_confirm(registry, ADD_CHANNEL, payload, "vinh_long")
    assert shown(previewed) == shown(saved) and [c.url for c in saved] == [BEN_TRE, NEW_PAGE]


@pytest.mark.parametrize("fields", [
    {"name": "Zalo mới"},
    {"url": "https://zalo.me/1234567890123456789", "platform": "zalo"},
    {"place_slug": "vinh_long"},  # moved to another unit: shown among its channels
    {"place_slug": "old_hau_giang"},  # moved to a former province of the same unit
])
async def test_edit_preview_is_what_is_saved(registry: Registry, fields: dict[str, Any]) -> None:
    zalo = await channel(registry, ZALO)
    payload = {"channel_id": zalo.id, "fields": fields, "verified_on": DAY}
    destination = EDIT_CHANNEL.place_slug(zalo, payload)
    previewed, saved = await preview_then_confirm(registry, EDIT_CHANNEL, payload, destination)
    assert shown(previewed) == shown(saved)
    [edited] = [c for c in saved if c.id == zalo.id]
    assert edited.verified_on == DAY and all(getattr(edited, k) == v for k, v in fields.items())


async def test_a_channel_moved_in_is_previewed_in_the_order_the_unit_will_list_it(registry: Registry) -> None:
    later = await add(registry, NEW_PAGE, "vinh_long")  # an id above Cần Thơ's fanpage
    fanpage = await channel(registry, FANPAGE)
    payload = {"channel_id": fanpage.id, "fields": {"place_slug": "vinh_long"}, "verified_on": DAY}
    previewed, saved = await preview_then_confirm(registry, EDIT_CHANNEL, payload, "vinh_long")
    assert [c.url for c in saved] == [BEN_TRE, FANPAGE, later.url]
    assert shown(previewed) == shown(saved)


async def test_editing_a_retired_channel_previews_the_unit_without_it(registry: Registry) -> None:
    zalo = await channel(registry, ZALO)
    await preview_then_confirm(registry, RETIRE_CHANNEL, {"channel_id": zalo.id, "verified_on": DAY}, "can_tho")
    payload = {"channel_id": zalo.id, "fields": {"name": "Zalo cũ"}, "verified_on": DAY}
    previewed, saved = await preview_then_confirm(registry, EDIT_CHANNEL, payload, "can_tho")
    assert shown(previewed) == shown(saved) and [c.url for c in saved] == [FANPAGE]


@pytest.mark.parametrize("url", [ZALO, BEN_TRE])
async def test_retire_without_successor_preview_is_what_is_saved(registry: Registry, url: str) -> None:
    old = await channel(registry, url)
    previewed, saved = await preview_then_confirm(registry, RETIRE_CHANNEL,
                                                  {"channel_id": old.id, "verified_on": DAY}, old.place_slug)
    assert shown(previewed) == shown(saved) and url not in [c.url for c in saved]
    assert (await channel(registry, url)).status == "retired"


@pytest.mark.parametrize("url", [ZALO, FANPAGE, BEN_TRE])
async def test_retire_with_a_new_successor_preview_is_what_is_saved(registry: Registry, url: str) -> None:
    old = await channel(registry, url)
    payload = {"channel_id": old.id, "verified_on": DAY, "successor_url": NEW_PAGE, "successor_platform": "facebook"}
    previewed, saved = await preview_then_confirm(registry, RETIRE_CHANNEL, payload, old.place_slug)
    assert shown(previewed) == shown(saved)
    successor = await channel(registry, NEW_PAGE)
    # The old page's name and place, none of its sources or dates; checked on the preview's day.
    assert (successor.name, successor.place_slug, successor.notice_id, successor.since, successor.verified_on) == (
        old.name, old.place_slug, None, None, DAY)
    assert (await channel(registry, url)).superseded_by == successor.id


async def test_retire_with_an_existing_successor_preview_is_what_is_saved(registry: Registry) -> None:
    successor = await add(registry, NEW_PAGE)
    zalo = await channel(registry, ZALO)
    payload = {"channel_id": zalo.id, "verified_on": DAY, "successor_url": NEW_PAGE, "successor_platform": "facebook"}
    previewed, saved = await preview_then_confirm(registry, RETIRE_CHANNEL, payload, "can_tho")
    assert shown(previewed) == shown(saved) and [c.url for c in saved] == [FANPAGE, NEW_PAGE]
    assert await channel(registry, NEW_PAGE) == successor  # read, not written
    assert (await channel(registry, ZALO)).status == "superseded"


async def test_a_preview_of_a_change_that_will_conflict_writes_nothing_either(registry: Registry) -> None:
    zalo = await channel(registry, ZALO)
    before = await everything(registry)
    taken = {"channel_id": zalo.id, "fields": {"url": FANPAGE, "platform": "facebook"}, "verified_on": DAY}
    await EDIT_CHANNEL.preview(registry, taken)
    await ADD_CHANNEL.preview(registry, {"place_slug": "can_tho", "platform": "facebook", "url": FANPAGE,
                                         "name": "x", "verified_on": DAY})
    await RETIRE_CHANNEL.preview(registry, {"channel_id": zalo.id, "verified_on": DAY, "successor_url": BEN_TRE,
                                            "successor_platform": "facebook"})
    assert await everything(registry) == before
