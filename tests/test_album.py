"""Cards of any size (issue 12): past what one image holds the card is an album of images, 10 per album and an
album per page of `/channels <unit> <n>`; every call is accepted by the fake Bot API (which refuses what
Telegram refuses: PHOTO_INVALID_DIMENSIONS, albums of 2–10, captions ≤ 1024, keyboards ≤ 100 buttons), every
channel's URL is in some QR code (after Telegram's re-encoding) and in the text, and file_ids are reused."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from PIL import Image

from bot.cards import ALBUM_SIZE, MAX_PER_IMAGE, QR_CACHE, CardCache, CardEntry, CardSpec, QrCache, paginate
from tests.conftest import decode_qr
from tests.fakebot.server import ALBUM, Call, FakeBotApi
from tests.fakebot.spec import ApiError, check_photo
from tests.fakebot.updates import message
from tests.telegram_harness import Harness

UNIT = "lai_chau"


def urls(n: int) -> list[str]:
    return [f"https://www.facebook.com/kenh.chinh.thuc.{i}" for i in range(n)]


async def seed(bot: Harness, n: int) -> str:
    """`n` channels on one unit (with none of its own): returns the unit's slug."""
    registry = bot.registry
    unit = registry.places.places[UNIT]
    for channel in await registry.store.channels_of(registry.scope(unit)):
        await registry.store.delete_channel(channel.id)
    for i, url in enumerate(urls(n)):
        await registry.store.insert_channel(place_slug=UNIT, platform="facebook", name=f"Trang {i}", url=url,
                                            verified_on="2026-11")
    registry.changed(UNIT)
    return UNIT


def images(call: Call) -> list[bytes]:
    if call.method == "sendPhoto":
        return [call.files["photo"]] if "photo" in call.files else []
    return [v for k, v in sorted(call.files.items()) if k.startswith(ALBUM)]


def texts(calls: list[Call]) -> str:
    out = []
    for c in calls:
        out.append(c.params.get("text") or c.params.get("caption") or "")
        out += [m.get("caption", "") for m in c.params.get("media", [])]
    return "\n".join(out)


@pytest.mark.parametrize("n", [1, 2, 27, 28, 60, 400])
async def test_a_card_of_n_channels_is_sent_whole_scannable_and_within_telegrams_limits(bot: Harness, n: int) -> None:
    slug = await seed(bot, n)
    view = await bot.registry.unit_view(bot.registry.places.places[slug])
    pages = view.albums
    assert pages == -(-len(view.pages) // ALBUM_SIZE)
    found_qr: list[str] = []
    found_text = ""
    for page in range(1, pages + 1):
        calls = await bot.send(message(f"/channels {slug} {page}" if page > 1 else f"/channels {slug}"))
        assert calls and all(c.error is None for c in calls), [(c.method, c.error) for c in calls]
        media = [c for c in calls if c.method in ("sendPhoto", "sendMediaGroup")]
        assert len(media) == 1  # one photo, or one album, per page
        sent = images(media[0])
        assert 1 <= len(sent) <= ALBUM_SIZE
        for png in sent:
            width, height = Image.open(io.BytesIO(png)).size
            assert width + height <= 10_000 and max(width, height) <= 20 * min(width, height) and len(png) < 10 << 20
            decoded = decode_qr(png, as_telegram=True)
            assert 1 <= len(decoded) <= MAX_PER_IMAGE
            found_qr += decoded
        found_text += texts(calls)
        if page < pages:
            assert f"/channels {slug} {page + 1}" in found_text
    assert sorted(found_qr) == sorted(urls(n))  # each URL in exactly one QR
    assert all(url in found_text for url in urls(n))
    if n >= 28:  # the size that used to be refused: more than one image, a media group
        assert len(view.pages) > 1
    # Asked again: every image is reused by file_id, nothing is uploaded.
    again = await bot.send(message(f"/channels {slug}"))
    assert all(not c.files for c in again) and all(c.error is None for c in again)


async def test_admin_preview_of_a_big_unit_shows_the_album_and_its_confirm_button(bot: Harness) -> None:
    from tests.telegram_harness import SUPER_ADMIN
    await seed(bot, 100)
    admin = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Admin", "language_code": "vi"}
    calls = await bot.send(message(f"/addchannel {UNIT} https://www.facebook.com/kenh.moi.them Kênh mới", admin))
    assert calls and all(c.error is None for c in calls), [(c.method, c.error) for c in calls]
    assert any(c.method == "sendMediaGroup" for c in calls)
    keyboards = [json.dumps(c.params.get("reply_markup", {})) for c in calls]
    assert any('"yes|' in k for k in keyboards)  # Confirm is shown: the unit can be changed by chat


def test_the_fake_refuses_photos_telegram_refuses() -> None:
    def png(w: int, h: int) -> bytes:
        out = io.BytesIO()
        Image.new("L", (w, h), 255).save(out, format="PNG")
        return out.getvalue()

    assert check_photo(png(1280, 8700)) == (1280, 8700)
    for w, h in ((1280, 8800), (100, 2100)):
        with pytest.raises(ApiError, match="PHOTO_INVALID_DIMENSIONS"):
            check_photo(png(w, h))


async def test_the_fake_takes_albums_of_2_to_10_only(api: FakeBotApi) -> None:
    from tests.fakebot.spec import check_media_group
    item = {"type": "photo", "media": "x"}
    check_media_group([item, item])
    for bad in ([item], [item] * 11, [item, {**item, "caption": "x" * 1025}]):
        with pytest.raises(ApiError):
            check_media_group(bad)


def test_pages_hold_every_entry_in_order_and_a_small_card_is_one_image() -> None:
    spec = CardSpec("T", "s", tuple(CardEntry("Facebook", f"n{i}", u) for i, u in enumerate(urls(57))), ("f",))
    pages = paginate(spec)
    assert [e for p in pages for e in p.entries] == list(spec.entries)
    assert all(len(p.entries) <= MAX_PER_IMAGE for p in pages)
    small = CardSpec("T", "s", spec.entries[:2], ("f",))
    assert paginate(small) == (small,)


async def test_fifty_concurrent_requests_for_one_new_card_render_it_once() -> None:
    cache = CardCache()
    spec = CardSpec("Thành phố Cần Thơ", "x", (CardEntry("Zalo OA", "Cổng", urls(1)[0]),), ("render once",))
    results = await asyncio.gather(*(cache.render(spec) for _ in range(50)))
    assert cache.renders == 1 and len(set(results)) == 1
    await cache.render(spec)
    assert cache.renders == 1  # and cached afterwards


async def test_the_render_runs_off_the_event_loop() -> None:
    """While a card renders, the loop keeps turning: a ticker advances meanwhile."""
    cache = CardCache()
    spec = CardSpec("T", "s", tuple(CardEntry("Facebook", f"n{i}", u) for i, u in enumerate(urls(8))), ("loop",))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await cache.render(spec)
    task.cancel()
    assert ticks > 5


def test_the_qr_cache_is_bounded_in_bytes_and_stores_one_bit_per_module() -> None:
    cache = QrCache(max_bytes=8_000)
    for url in urls(60):
        size, packed = cache.matrix(url)
        assert len(packed) == size * -(-size // 8)  # 1 bit per module, rows padded to a byte
        assert cache.bytes <= cache.max_bytes
    assert 0 < len(cache) < 60
    assert cache.bytes == sum(QrCache.cost(u, cache._items[u][1]) for u in cache._items)
    assert QR_CACHE.max_bytes <= 4 * 1024 * 1024  # the process-wide cache: a few MB at most
