"""Upkeep: the registry does not decay. Which channels are due for another look (bot.upkeep), /review listing
them to admins, /reverify stamping one as checked today — audited, undoable, refused for anyone else — the
digest for admins, and BOT_REVIEW_MONTHS.

A real SQLite file per test (tests/conftest.py) and the real dispatcher; the assertions are on what the admin
reads and on what the store holds."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.change_kinds import REVERIFY
from bot.changes import Changes, Outcome, today
from bot.clock import vietnam_today
from bot.config import Settings
from bot.frontends import plain
from bot.frontends.telegram import _rendering
from bot.i18n import EN, VI
from bot.links import parse_link
from bot.models import Channel
from bot.people import ZALO, Person
from bot.replies import Pager, Reply, actions, to_plain
from bot.runtime import open_registry
from bot.services import Registry, format_date
from bot.upkeep import (
    DIGEST_MAX_ENTRIES,
    Due,
    digest_reply,
    due_channels,
    months_before,
    verified_date,
)
from bot.userstate import UserState
from handlers import COMMANDS, Context, Dispatcher, menu
from handlers.dispatch import CommandInput, PickInput
from tests.fakebot.updates import VI_USER, callback, message
from tests.telegram_harness import SUPER_ADMIN, Harness

ADMIN = Person(ZALO, "ad000000000000000001")
STRANGER = Person(ZALO, "st000000000000000002")
FANPAGE = "https://www.facebook.com/congthongtincantho"
ZALO_OA = "https://zalo.me/3460461954401350861"
BEN_TRE = "https://www.facebook.com/cttdtbentre"
URL = re.compile(r"https://\S+")


def context(registry: Registry, who: Person = ADMIN, *, lang: str = VI) -> Context:
    return Context(registry, lang, who, "Quản trị", chat="c1", super_admins=frozenset({ADMIN}), typed=True)


async def ask(registry: Registry, dispatcher: Dispatcher, name: str, args: str = "", *, who: Person = ADMIN,
              lang: str = VI) -> Reply:
    [reply] = await dispatcher.dispatch(context(registry, who, lang=lang), CommandInput(name, args))
    return reply


def text(reply: Reply) -> str:
    return to_plain(reply.lines)


async def stamp(registry: Registry, url: str, verified_on: str, **fields: object) -> Channel:
    """Test set-up: give a registered channel a known "last verified" date (and status), straight in the store."""
    channel = await registry.store.channel_by_url(url)
    assert channel is not None
    await registry.store.update_channel(channel.id, verified_on=verified_on, **fields)
    return await channel_at(registry, url)


async def channel_at(registry: Registry, url: str) -> Channel:
    channel = await registry.store.channel_by_url(url)
    assert channel is not None
    return channel


async def add(registry: Registry, place_slug: str, name: str, verified_on: str, *, status: str = "active") -> str:
    url = parse_link(f"https://www.facebook.com/{name}").url
    await registry.store.insert_channel(place_slug=place_slug, platform="facebook", name=name, url=url,
                                        verified_on=verified_on, status=status)
    registry.changed()
    return url


async def seeded_fresh(registry: Registry) -> None:
    """The seeded channels verified today: only what a test adds is due."""
    for url in (FANPAGE, ZALO_OA, BEN_TRE):
        await stamp(registry, url, today())


async def everything(registry: Registry) -> tuple:
    store = registry.store
    return await store.all_channels(), await store.all_audit()


# --- which channels are due --------------------------------------------------------------------------------
def test_a_partial_date_reads_as_the_first_day_of_its_month_or_year() -> None:
    assert verified_date("2024-03-15") == date(2024, 3, 15)
    assert verified_date("2024-03") == date(2024, 3, 1)
    assert verified_date("2024") == date(2024, 1, 1)
    for unreadable in ("", "soon", "2024-13", "2024-02-30", "15/03/2024", None):
        assert verified_date(unreadable) == date.min, unreadable


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(date(2025, 3, 15), 12) == date(2024, 3, 15)
    assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2025, 1, 10), 1) == date(2024, 12, 10)
    assert months_before(date(2025, 6, 1), 120) == date(2015, 6, 1)


def test_due_is_counted_from_the_date_in_vietnam() -> None:
    assert vietnam_today(datetime(2026, 12, 1, 16, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert vietnam_today(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == date(2026, 12, 2)  # 00:00 in Hà Nội
    assert vietnam_today(datetime(2026, 12, 31, 18, 0, tzinfo=UTC)) == date(2027, 1, 1)


async def test_due_channels_oldest_first_then_unit_in_vietnamese_order_then_url(registry: Registry) -> None:
    for url in (FANPAGE, ZALO_OA, BEN_TRE):
        await stamp(registry, url, "2025-06-01")  # not due on 2025-06-15
    same_day = "2024-03-15"
    # Entered in no particular order; Unicode order would put Cao Bằng before Cà Mau and Đà Nẵng after Hà Nội.
    dn = await add(registry, "da_nang", "upkeep.danang", same_day)
    hn = await add(registry, "ha_noi", "upkeep.hanoi", same_day)
    cb = await add(registry, "cao_bang", "upkeep.caobang", same_day)
    cm = await add(registry, "ca_mau", "upkeep.camau", same_day)
    ct_b = await add(registry, "can_tho", "upkeep.cantho.b", same_day)
    ct_a = await add(registry, "can_tho", "upkeep.cantho.a", same_day)
    month = await add(registry, "ha_noi", "upkeep.month", "2024-03")  # 2024-03-01: before every 2024-03-15
    year = await add(registry, "ha_noi", "upkeep.year", "2024")
    await add(registry, "ha_noi", "upkeep.retired", "2001", status="retired")  # not active: never due
    await add(registry, "ha_noi", "upkeep.fresh", "2024-06-16")  # within 12 months of 2025-06-15

    due = await due_channels(registry, months=12, today=date(2025, 6, 15))
    assert [d.channel.url for d in due] == [year, month, cm, cb, ct_a, ct_b, dn, hn]
    assert [d.verified for d in due[:3]] == [date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 15)]
    assert due[2].unit_name == "Tỉnh Cà Mau" and due[4].unit_name == "Thành phố Cần Thơ"
    assert all(isinstance(d, Due) and d.channel.status == "active" for d in due)


async def test_the_months_boundary_exactly(registry: Registry) -> None:
    for url in (FANPAGE, ZALO_OA, BEN_TRE):
        await stamp(registry, url, "2030-01-01")
    on_cutoff = await add(registry, "ha_noi", "upkeep.oncutoff", "2024-03-15")
    day_before = await add(registry, "ha_noi", "upkeep.daybefore", "2024-03-14")
    month_only = await add(registry, "ha_noi", "upkeep.monthonly", "2024-03")

    async def due_on(day: date, months: int = 12) -> list[str]:
        return [d.channel.url for d in await due_channels(registry, months=months, today=day)]

    # Verified exactly `months` months before today: not due yet; a day earlier: due.
    assert await due_on(date(2025, 3, 15)) == [month_only, day_before]
    assert await due_on(date(2025, 3, 14)) == [month_only]
    # "2024-03" is due as soon as its first day is past the cutoff, while "2024-03-15" waits till the 16th.
    assert await due_on(date(2025, 3, 1)) == []
    assert await due_on(date(2025, 3, 2)) == [month_only]
    assert await due_on(date(2025, 3, 16)) == [month_only, day_before, on_cutoff]
    assert await due_on(date(2024, 4, 15), months=1) == [month_only, day_before]


# --- /review ------------------------------------------------------------------------------------------------
async def test_review_lists_the_due_channels_oldest_first_a_page_at_a_time(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await seeded_fresh(registry)
    expected = [await add(registry, "can_tho", f"upkeep.page{n:02d}", f"20{n:02d}-01-01") for n in range(1, 11)]
    await stamp(registry, expected[4], "2005")  # a partial date among full ones: read as 01/01/2005, kept in place
    first = await ask(registry, dispatcher, "review")
    shown = text(first)
    assert shown.startswith("Cần xác minh lại: 10 kênh chưa được kiểm tra trong 12 tháng qua")
    assert "Trang 1/2" in shown
    assert URL.findall(shown)[::2] == expected[:8]  # each URL twice: the link, then the /reverify line
    assert f"/reverify {expected[0]}" in shown
    assert "Kiểm tra lần cuối: 01/01/2001" in shown and "Kiểm tra lần cuối: 2005" in shown
    assert "Do quản trị viên ghi nhận ngày 01/01/2001, chưa có văn bản" in shown  # its source: an admin
    assert "Thành phố Cần Thơ" in shown and "Facebook: upkeep.page01" in shown
    assert first.pager == Pager("review", "", 1, 2)
    [turn] = actions(first, VI)
    [second] = await dispatcher.dispatch(context(registry), PickInput(turn.command, turn.arg))
    assert "Trang 2/2" in text(second) and URL.findall(text(second))[::2] == expected[8:]
    [typed] = await dispatcher.dispatch(context(registry), CommandInput("review", "9"))  # past the end: the last
    assert URL.findall(text(typed))[::2] == expected[8:]
    assert "Cách dùng: /review [trang]" in text(await ask(registry, dispatcher, "review", "hai"))


async def test_review_names_each_channels_source_notice(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await seeded_fresh(registry)
    await stamp(registry, BEN_TRE, "2021-12")
    shown = text(await ask(registry, dispatcher, "review"))
    assert "Cần xác minh lại: 1 kênh" in shown
    assert "Tỉnh Vĩnh Long — của Bến Tre (cũ) · Facebook" in shown and BEN_TRE in shown
    assert "Kiểm tra lần cuối: 12/2021" in shown
    assert "Nguồn: UBND TỈNH BẾN TRE - BAN BIÊN TẬP CÔNG TTĐT, số …/BBT-TTTTĐT, 12/2021" in shown
    english = text(await ask(registry, dispatcher, "review", lang=EN))
    assert english.startswith("Channels due for review — not verified in the last 12 months: 1")
    assert "Last checked: 12/2021" in english and "Source: UBND TỈNH BẾN TRE" in english
    assert "of former Bến Tre" in english and f"/reverify {BEN_TRE}" in english


async def test_review_says_so_when_every_channel_is_fresh(setup: tuple[Registry, Dispatcher],
                                                         settings: Settings) -> None:
    registry, dispatcher = setup
    await seeded_fresh(registry)
    reply = await ask(registry, dispatcher, "review")
    assert text(reply) == "✅ Mọi kênh đang hoạt động đều đã được xác minh trong 12 tháng qua."
    assert reply.pager is None
    english = await ask(registry, dispatcher, "review", lang=EN)
    assert text(english) == "✅ Every active channel was verified within the last 12 months."
    # BOT_REVIEW_MONTHS reaches /review through the registry every front-end hands its handlers.
    six = await open_registry(replace(settings, db_path=settings.db_path.with_name("six.sqlite3"), review_months=6))
    try:
        assert six.review_months == 6
        state = UserState(six.store)
        await state.load()
        assert "trong 6 tháng qua" in text(await ask(six, Dispatcher(state), "review"))
    finally:
        await six.store.close()


async def test_review_is_refused_to_a_non_admin_and_lists_nothing(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await stamp(registry, BEN_TRE, "2001-01")
    refused = await ask(registry, dispatcher, "review", who=STRANGER)
    assert refused.alert and text(refused) == "⛔ Lệnh này chỉ dành cho quản trị viên. Không có gì thay đổi."
    assert not URL.findall(text(refused)) and refused.pager is None
    [page] = await dispatcher.dispatch(context(registry, STRANGER), PickInput("review", "1"))
    assert page.alert and not URL.findall(text(page))


def test_review_and_reverify_are_admin_commands_next_to_history() -> None:
    assert COMMANDS["review"].admin and COMMANDS["reverify"].admin
    names = [c.name for c in menu(admin=True)]
    assert names.index("history") < names.index("review") < names.index("reverify") < names.index("undo")
    assert "review" not in [c.name for c in menu(admin=False)]
    assert COMMANDS["review"].description(VI).startswith("các kênh lâu chưa được xác minh lại")
    assert COMMANDS["reverify"].description(EN).startswith("record that you checked a channel today")


async def test_review_and_reverify_on_telegram(bot: Harness) -> None:
    """Through the real Application and the fake Bot API (which checks every call): pages as buttons, the
    /reverify line as copyable code, a stranger refused."""
    registry = bot.registry
    await seeded_fresh(registry)
    urls = [await add(registry, "ha_noi", f"upkeep.tg{n:02d}", f"20{n:02d}-06") for n in range(1, 10)]
    admin = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
    calls = await bot.send(message("/review", user=admin))
    [page] = [c for c in calls if c.method == "sendMessage" and c.error is None]
    assert urls[0] in page.params["text"] and urls[8] not in page.params["text"]
    assert f"<code>/reverify {urls[0]}</code>" in page.params["text"]
    buttons = [b["callback_data"] for row in page.params["reply_markup"]["inline_keyboard"] for b in row]
    turned = await bot.send(callback(buttons[-1], user=admin))
    assert any(urls[8] in (c.params.get("text") or "") for c in turned if c.error is None)
    stranger = await bot.send(message(f"/reverify {urls[0]}", user=VI_USER))
    assert any("⛔" in (c.params.get("text") or "") for c in stranger if c.error is None)
    assert (await channel_at(registry, urls[0])).verified_on == "2001-06"
    done = await bot.send(message(f"/reverify {urls[0]}", user=admin))
    assert any("✅" in (c.params.get("text") or "") for c in done if c.error is None)
    assert (await channel_at(registry, urls[0])).verified_on == today()


# --- /reverify ----------------------------------------------------------------------------------------------
async def test_reverify_stamps_today_writes_one_audit_row_and_undo_restores_it(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    old = await stamp(registry, FANPAGE, "2020-01-15")
    # Another spelling of the same page (mobile host, capitals, a tracking query): the same channel.
    reply = await ask(registry, dispatcher, "reverify", "m.facebook.com/CongThongTinCanTho/?ref=bookmarks")
    shown = text(reply)
    assert shown.startswith(f"✅ Đã ghi nhận xác minh lại ngày {format_date(today())} — kênh của Thành phố Cần Thơ")
    assert FANPAGE in shown and "Lần xác minh trước: 15/01/2020" in shown and "/undo" in shown
    now = await channel_at(registry, FANPAGE)
    assert now.verified_on == today()
    assert replace(now, verified_on=old.verified_on, updated_at=old.updated_at) == old  # nothing else changed
    [entry] = await registry.store.all_audit()
    assert (entry.action, entry.entity, entry.entity_id, entry.place_slug, entry.actor) == (
        "reverify", "channel", old.id, "can_tho", ADMIN)
    assert entry.before is not None and entry.after is not None
    assert [c["verified_on"] for c in entry.before["channels"]] == ["2020-01-15"]
    assert [c["verified_on"] for c in entry.after["channels"]] == [today()]
    # /history says it in words.
    history = text(await ask(registry, dispatcher, "history", "cần thơ"))
    assert "xác minh lại kênh" in history and f"cập nhật 15/01/2020 → {format_date(today())}" in history

    preview = await ask(registry, dispatcher, "undo")
    assert preview.confirm is not None and "xác minh lại kênh" in text(preview)
    assert (await channel_at(registry, FANPAGE)).verified_on == today()  # a preview writes nothing
    done = await ask(registry, dispatcher, "yes", preview.confirm.token)
    assert text(done).startswith("↩️ Đã hoàn tác")
    assert await channel_at(registry, FANPAGE) == old
    assert [e.action for e in await registry.store.all_audit()] == ["reverify", "undo"]


async def test_reverify_again_the_same_day_changes_nothing(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await stamp(registry, ZALO_OA, "2023-05")
    await ask(registry, dispatcher, "reverify", ZALO_OA)
    before = await everything(registry)
    again = await ask(registry, dispatcher, "reverify", f"{ZALO_OA}?src=qr")
    assert text(again) == (f"Kênh {ZALO_OA} đã được xác minh hôm nay ({format_date(today())}). "
                           "Không có gì thay đổi.")
    assert await everything(registry) == before and len(before[1]) == 1
    english = await ask(registry, dispatcher, "reverify", ZALO_OA, lang=EN)
    assert text(english).endswith(f"was already verified today ({format_date(today())}). Nothing was changed.")


async def test_a_channel_stamped_meanwhile_is_not_stamped_twice(registry: Registry) -> None:
    """The kind itself refuses a stamp the channel has already (two admins at once): no second audit row."""
    channel = await stamp(registry, FANPAGE, today())
    changes = Changes(registry)
    token = await changes.propose(ADMIN, REVERIFY.kind, {"channel_id": channel.id, "verified_on": today()})
    result = await changes.confirm(token, ADMIN, None)
    assert result.outcome == Outcome.CONFLICT
    assert await registry.store.all_audit() == [] and await channel_at(registry, FANPAGE) == channel


@pytest.mark.parametrize(("args", "expected"), [
    ("", "Cách dùng: /reverify <đường dẫn>"),
    (f"{FANPAGE} {ZALO_OA}", "Cách dùng: /reverify <đường dẫn>"),
    ("https://www.facebook.com/not.in.the.registry", "https://www.facebook.com/not.in.the.registry không có trong sổ"),
    ("http://www.facebook.com/congthongtincantho", "⛔ ĐƯỜNG DẪN KHÔNG HỢP LỆ"),
    ("https://faceb00k.com/congthongtincantho", "KHÔNG phải facebook.com"),  # a look-alike host: refused
    ("https://www.facebook.com/sharer/sharer.php?u=x", "⛔ ĐƯỜNG DẪN KHÔNG HỢP LỆ"),
    ("https://[::1/x", "Đây không phải một đường dẫn hợp lệ."),  # malformed: no URL at all
])
async def test_reverify_answers_what_it_cannot_stamp_and_changes_nothing(
        setup: tuple[Registry, Dispatcher], args: str, expected: str) -> None:
    registry, dispatcher = setup
    await stamp(registry, FANPAGE, "2020-01-15")
    before = await everything(registry)
    reply = await ask(registry, dispatcher, "reverify", args)
    assert expected in text(reply)
    assert await everything(registry) == before and before[1] == []


async def test_reverify_of_a_retired_or_replaced_channel_changes_nothing(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await stamp(registry, FANPAGE, "2020-01-15", status="retired")
    await stamp(registry, BEN_TRE, "2021-12", status="superseded")
    before = await everything(registry)
    retired = await ask(registry, dispatcher, "reverify", FANPAGE)
    assert text(retired) == (f"Kênh {FANPAGE} đã ngừng: chỉ kênh đang hoạt động mới cần xác minh lại. "
                             "Không có gì thay đổi.")
    replaced = await ask(registry, dispatcher, "reverify", "facebook.com/cttdtbentre", lang=EN)
    assert text(replaced) == f"{BEN_TRE} is superseded: only active channels are re-verified. Nothing was changed."
    assert await everything(registry) == before and before[1] == []


async def test_reverify_from_a_non_admin_is_refused_and_changes_nothing(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await stamp(registry, FANPAGE, "2020-01-15")
    before = await everything(registry)
    refused = await ask(registry, dispatcher, "reverify", FANPAGE, who=STRANGER)
    assert refused.alert and text(refused).startswith("⛔") and "quản trị" in text(refused)
    assert await everything(registry) == before and before[1] == []


# --- the digest -----------------------------------------------------------------------------------------------
def fake_due(n: int, url: str, place_slug: str = "can_tho") -> Due:
    channel = Channel(id=n, place_slug=place_slug, platform="facebook", name=f"Trang {n}", url=url, status="active",
                      notice_id=None, verified_on=f"20{n % 100:02d}-01")
    return Due(channel, "Thành phố Cần Thơ", verified_date(channel.verified_on))


def rendered(reply: Reply) -> tuple[list[str], list[str]]:
    """What Telegram sends (HTML messages) and what Zalo sends (plain, split at 2000)."""
    telegram = _rendering(reply, VI)
    return [text for text, _ in telegram.messages], plain.render(reply, VI, limit=2000)


async def test_no_digest_when_nothing_is_due(registry: Registry) -> None:
    await seeded_fresh(registry)
    assert await due_channels(registry, months=12, today=vietnam_today()) == []
    assert digest_reply(registry, [], VI) is None


async def test_the_digest_names_the_oldest_and_points_to_review(registry: Registry) -> None:
    await stamp(registry, BEN_TRE, "2021-12")
    await stamp(registry, ZALO_OA, "2024-03-15")
    await stamp(registry, FANPAGE, "2030-01-01")
    due = await due_channels(registry, months=12, today=date(2025, 6, 15))
    reply = digest_reply(registry, due, VI)
    assert reply is not None
    assert text(reply).splitlines() == [
        "🔔 Rà soát sổ kênh: 2 kênh đã lâu chưa được xác minh lại",
        "Lâu nhất trước:",
        "• Tỉnh Vĩnh Long — của Bến Tre (cũ) · Facebook · kiểm tra lần cuối 12/2021",
        BEN_TRE,
        "• Thành phố Cần Thơ · Zalo OA · kiểm tra lần cuối 15/03/2024",
        ZALO_OA,
        "",
        "Gõ /review để xem tất cả; /reverify <đường dẫn> khi đã kiểm tra lại một kênh.",
    ]
    english = digest_reply(registry, due, EN)
    assert english is not None and "Send /review to see them all" in text(english)
    assert "of former Bến Tre · Facebook · last checked 12/2021" in text(english)
    assert not actions(reply, VI)  # a message on its own: no numbered choice a typed number could not reach


async def test_a_long_digest_lists_the_oldest_fifteen_and_fits_one_telegram_message(registry: Registry) -> None:
    due = [fake_due(n, f"https://www.facebook.com/upkeep.digest{n:03d}") for n in range(40)]
    reply = digest_reply(registry, due, VI)
    assert reply is not None
    shown = text(reply)
    assert URL.findall(shown) == [d.channel.url for d in due[:DIGEST_MAX_ENTRIES]]
    assert "… và 25 kênh khác." in shown and "/review" in shown
    [message], zalo = rendered(reply)
    assert len(message) <= 4096 and all(len(m) <= 2000 for m in zalo)
    assert all(len(line) <= 200 for m in zalo for line in m.splitlines())


async def test_a_digest_of_long_urls_lists_fewer_and_still_fits(registry: Registry) -> None:
    # Portal URLs can run to 512 characters: fifteen of them would not fit one message.
    long = [fake_due(n, f"https://cantho.gov.vn/{'chuyen-muc-' * 40}{n:03d}") for n in range(20)]
    reply = digest_reply(registry, long, VI)
    assert reply is not None
    listed = URL.findall(text(reply))
    assert 1 <= len(listed) < DIGEST_MAX_ENTRIES and listed == [d.channel.url for d in long[: len(listed)]]
    assert f"… và {20 - len(listed)} kênh khác." in text(reply)
    [message], zalo = rendered(reply)
    assert len(message) <= 4096 and all(len(m) <= 2000 for m in zalo)
    assert all(url in "\n".join(zalo) for url in listed)  # every URL listed reaches Zalo whole


# --- BOT_REVIEW_MONTHS --------------------------------------------------------------------------------------
def test_review_months_from_the_environment() -> None:
    assert Settings.from_env({}).review_months == 12
    assert Settings.from_env({"BOT_REVIEW_MONTHS": ""}).review_months == 12
    for typed, months in (("6", 6), (" 24 ", 24), ("1", 1), ("120", 120)):
        assert Settings.from_env({"BOT_REVIEW_MONTHS": typed}).review_months == months
    for bad in ("0", "abc", "121", "-3", "1.5", "12 months", "１２"):
        with pytest.raises(ValueError, match=r"BOT_REVIEW_MONTHS: must be a whole number of months from 1 to 120"):
            Settings.from_env({"BOT_REVIEW_MONTHS": bad})
