"""Work that would stall the event loop happens elsewhere: cards are drawn and large cards laid out in the card
worker process (not a thread: drawing holds the GIL), a broken worker falls back to a thread, and a unit's view
is built once however many ask at once — and not kept if a write came while it was being built."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot import cards
from bot.cards import CardEntry, CardSpec
from bot.services import Registry
from tests.conftest import decode_qr


def pid_of(spec: CardSpec) -> int:
    return os.getpid()


def spec_of(n: int) -> CardSpec:
    entries = tuple(CardEntry("Facebook", f"Trang {i}", f"https://www.facebook.com/trang.so.{i}", "")
                    for i in range(n))
    return CardSpec("Thành phố Cần Thơ", "Kênh thông tin chính thức", entries, ("Nguồn: …",))


async def test_cards_are_drawn_in_the_worker_process_and_decode() -> None:
    assert await cards._in_worker(pid_of, spec_of(1)) != os.getpid()
    png = await cards.render_off_loop(spec_of(2))
    assert decode_qr(png) == ["https://www.facebook.com/trang.so.0", "https://www.facebook.com/trang.so.1"]


async def test_a_large_card_is_laid_out_in_the_worker_a_small_one_here() -> None:
    big, small = spec_of(40), spec_of(3)
    pages, keys = await cards.card_pages(big)
    assert (pages, keys) == cards.pages_and_keys(big) and len(pages) > 1
    assert sum(len(p.entries) for p in pages) == 40
    assert await cards.card_pages(small) == cards.pages_and_keys(small)


async def test_a_broken_worker_falls_back_to_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise BrokenProcessPool("the worker died")

    monkeypatch.setattr(cards, "_render_pool", broken)
    assert await cards._in_worker(pid_of, spec_of(1)) == os.getpid()  # here, in a thread
    assert decode_qr(await cards.render_off_loop(spec_of(1))) == ["https://www.facebook.com/trang.so.0"]


async def test_a_view_is_built_once_for_many_and_not_kept_across_a_write(registry: Registry) -> None:
    unit = registry.places.places["can_tho"]
    builds = 0
    build = registry._build_view

    async def counting(place: object) -> object:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.05)
        return await build(unit)

    registry._build_view = counting  # type: ignore[method-assign,assignment]
    views = await asyncio.gather(*(registry.unit_view(unit) for _ in range(50)))
    assert builds == 1 and all(v is views[0] for v in views)
    registry.changed()
    building = asyncio.ensure_future(registry.unit_view(unit))
    await asyncio.sleep(0.01)
    registry.changed("can_tho")  # a write while it is being built
    await building
    assert builds == 2
    fresh = await registry.unit_view(unit)
    assert builds == 3 and fresh is not building.result()  # the one built across the write was not kept
