"""One validation for every path: chat, the guided /addnotice, import and seed refuse the same things, with a
reason in the user's language, and change nothing."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import describe_refusal, has
from bot.people import Person
from bot.services import Registry
from bot.transfer import FORMAT, export_registry, plan_import
from bot.validate import Invalid, ascii_int, check_date, clean_text, contains_url, iso_day
from tests.fakebot.server import Call
from tests.fakebot.updates import callback, inline, message
from tests.telegram_harness import SUPER_ADMIN, Harness
from tests.test_telegram import _msg_id

ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
ZALO = "https://zalo.me/3460461954401350861"


def texts(calls: list[Call]) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in calls if c.error is None)


@pytest.mark.parametrize("name", [
    "Trang chính thức mới: https://faceb00k.com/canthoofficial", "faceb00k.com/x", "xem facebook[.]com/x",
    "www.evil.example", "ｆａｃｅｂｏｏｋ．ｃｏｍ", "javascript:alert(1)", "cantho.gov.vn", "zalo dot me",
])
def test_text_holding_a_url_or_a_disguised_one_is_refused(name: str) -> None:
    assert contains_url(name)
    with pytest.raises(Invalid) as caught:
        clean_text(name, "name")
    assert caught.value.code == "has_url"


@pytest.mark.parametrize("name", [
    "Cổng Thông tin điện tử Cần Thơ", "KT. CHÁNH VĂN PHÒNG - PHÓ CHÁNH VĂN PHÒNG", "UBND TP.HCM", "P.An Hội",
    "02753.827529", "Trang Facebook. Trang Zalo", "Văn phòng Đoàn ĐBQH&HĐND tỉnh", "Số 12/TB-UBND",
])
def test_ordinary_vietnamese_text_is_kept(name: str) -> None:
    assert clean_text(name, "name") == name


def test_bidi_overrides_and_invisible_characters_are_stripped_and_text_is_nfc() -> None:
    assert clean_text("Ca\u0300n Tho\u031b\u202e  gnap\u200b", "name") == "Càn Thơ gnap"
    with pytest.raises(Invalid):
        clean_text("\u202e\u200b", "name")
    with pytest.raises(Invalid) as caught:
        clean_text("x" * 201, "name")
    assert caught.value.code == "too_long"


@pytest.mark.parametrize("text", ["²", "١٢٣", "１２３", "-1", "1e3", "", " ", "12a", "0"])
def test_only_ascii_digits_are_numbers(text: str) -> None:
    assert ascii_int(text, 1, 10**6) is None


@pytest.mark.parametrize(("y", "m", "d"), [(2026, 2, 31), (2026, 13, None), (2026, None, 3), (1800, 1, 1),
                                          (9999, 12, 31), (True, None, None), ("2026", None, None)])
def test_impossible_dates_are_refused(y: Any, m: Any, d: Any) -> None:
    with pytest.raises(Invalid):
        check_date(y, m, d)


def test_iso_days_are_real_and_not_in_the_future() -> None:
    assert iso_day("2021-12-01", "since") == "2021-12-01" and iso_day("2025-11", "verified_on") == "2025-11"
    for bad in ("9999-12-31", "2021-02-30", "2021/12/01", "yesterday", 20211201):
        with pytest.raises(Invalid):
            iso_day(bad, "verified_on")


# --- chat -----------------------------------------------------------------------------------------------------
async def test_a_display_name_with_a_lookalike_url_is_refused_in_chat(bot: Harness) -> None:
    before = await bot.registry.store.all_channels()
    calls = await bot.send(message("/addchannel cần thơ https://www.facebook.com/canthonews "
                                   "Trang chính thức mới: https://faceb00k.com/x", user=ADMIN))
    assert "không được chứa đường dẫn" in texts(calls)
    calls = await bot.send(message(f"/editchannel {ZALO} name Xem facebook[.]com/canthoofficial", user=ADMIN))
    assert "không được chứa đường dẫn" in texts(calls)
    assert await bot.registry.store.all_channels() == before
    assert await bot.registry.store.count("audit") == 0


async def test_addnotice_refuses_an_impossible_date_and_asks_again(bot: Harness) -> None:
    for text in ["/addnotice", "cần thơ", "Văn phòng UBND thành phố Cần Thơ", "-/VPUB-TTĐH"]:
        await bot.send(message(text, user=ADMIN))
    for bad in ("31/02/2026", "32/13/2026", "13/2026", "²/2026"):
        reply = texts(await bot.send(message(bad, user=ADMIN)))
        assert "Ngày không hợp lệ" in reply and "4/9" in reply
    assert "5/9" in texts(await bot.send(message("28/02/2026", user=ADMIN)))


async def test_addnotice_refuses_a_url_in_the_issuer(bot: Harness) -> None:
    for text in ["/addnotice", "cần thơ"]:
        await bot.send(message(text, user=ADMIN))
    reply = texts(await bot.send(message("UBND xem https://faceb00k.com/x", user=ADMIN)))
    assert "không được chứa đường dẫn" in reply and "2/9" in reply


@pytest.mark.parametrize("command", ["/history cần thơ ²", "/grant ١٢٣", "/grant １２３", "/revoke ²"])
async def test_non_ascii_digits_get_an_answer_not_the_generic_error(bot: Harness, command: str) -> None:
    reply = texts(await bot.send(message(command, user=ADMIN)))
    assert reply and "Xin lỗi" not in reply
    assert await bot.registry.store.admins() == []


async def test_non_ascii_page_numbers_anywhere_are_not_errors(bot: Harness) -> None:
    reply = texts(await bot.send(message("/notice cần thơ ²")))
    assert "Văn phòng UBND thành phố Cần Thơ" in reply and "Xin lỗi" not in reply
    [answer] = [c for c in await bot.send(inline("", offset="²")) if c.method == "answerInlineQuery"]
    assert answer.error is None and answer.params["results"]
    [menu] = [c for c in await bot.send(message("/channels")) if c.method == "sendMessage"]
    pressed = callback("units|²", message_id=_msg_id(bot, menu))
    shown = bot.api._messages[(menu.chat_id, _msg_id(bot, menu))]  # the message as a client has it
    markup = shown["reply_markup"]
    pressed["callback_query"]["message"].update(
        text=html.unescape(re.sub(r"<[^>]+>", "", shown["text"])),
        reply_markup=json.loads(markup) if isinstance(markup, str) else markup)
    calls = await bot.send(pressed)
    assert calls and all(c.error is None for c in calls) and not any("Xin lỗi" in texts([c]) for c in calls)


def test_admin_ids_from_the_environment_are_ascii_digits() -> None:
    from bot.config import parse_ids

    assert parse_ids("11111111, 222, zalo:ab-C9") == frozenset(
        {Person.telegram(11111111), Person.telegram(222), Person("zalo", "ab-C9")})
    for bad in ("١٢٣", "１２３", "²", "12a", "0", "zalo:", "zalo:a b", "-5"):
        with pytest.raises(ValueError):
            parse_ids(bad)


# --- import ---------------------------------------------------------------------------------------------------
def notice(**fields: Any) -> dict[str, Any]:
    return {"ref": 1, "place_slug": "can_tho", "issuer": "UBND", "year": 2025, "subject": "V/v kênh", **fields}


def channel(**fields: Any) -> dict[str, Any]:
    return {"place_slug": "can_tho", "platform": "facebook", "name": "Trang", "url": "https://www.facebook.com/ctxtest1",
            **fields}


def file(notices: list[Any] | None = None, channels: list[Any] | None = None) -> bytes:
    return json.dumps({"format": FORMAT, "notices": notices or [], "channels": channels or []}).encode()


@pytest.mark.parametrize(("content", "code"), [
    (file([notice(url="https://faceb00k.com/x")]), "bad_link"),
    (file([notice(url="javascript:alert(1)")]), "bad_link"),
    (file([notice(issuer="x" * 1_250_000)]), "too_long"),
    (file([notice(issuer="Trang mới: https://faceb00k.com/x")]), "has_url"),
    (file([notice(day=31, month=2)]), "bad_day"),
    (file([notice(year=True)]), "bad_year"),
    (file([notice(recipients="all")]), "bad_list"),
    (file([notice(managing_unit={"name": "X", "emails": ["not an email"]})]), "bad_email"),
    (file(channels=[channel(verified_on="9999-12-31")]), "bad_year"),
    (file(channels=[channel(verified_on="2027-06-01")]), "future_date"),
    (file(channels=[channel(name="\u202e")]), "empty"),
    (file(channels=[channel(name={"a": 1})]), "not_text"),
    (file(channels=[channel(place_slug=["can_tho"])]), "unknown_place"),
    (file(channels=[channel(as_written="https://faceb00k.com/x")]), "bad_as_written"),
    (file(channels=[channel(superseded_by_url=5)]), "bad_link"),
])
async def test_import_refuses_each_bad_field_with_its_reason(registry: Registry, content: bytes, code: str) -> None:
    plan = await plan_import(content, registry.store, registry.places)
    assert [r.code for r in plan.refused] == [code]
    assert not plan.has_changes
    for lang in ("vi", "en"):
        reason = describe_refusal(code, plan.refused[0].detail, plan.refused[0].link_code,
                                  plan.refused[0].link_detail, lang)
        assert reason and "import_" not in reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
field_names = st.sampled_from(["ref", "place_slug", "issuer", "year", "month", "day", "subject", "url", "name",
                               "status", "notice_ref", "verified_on", "since", "as_written", "superseded_by_url",
                               "recipients", "managing_unit", "key", "platform"])
rows = st.dictionaries(field_names, json_values, max_size=10)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notices=st.one_of(st.lists(rows, max_size=3), json_values),
       channels=st.one_of(st.lists(rows, max_size=3), json_values))
async def test_any_malformed_import_gets_reasons_never_an_exception(registry: Registry, notices: Any,
                                                                    channels: Any) -> None:
    content = json.dumps({"format": FORMAT, "notices": notices, "channels": channels}).encode()
    plan = await plan_import(content, registry.store, registry.places)
    for refusal in plan.refused:
        assert has(f"import_{refusal.code}"), refusal.code
        if refusal.link_code:
            assert has(f"link_{refusal.link_code}"), refusal.link_code


async def test_an_export_imports_back_unchanged(registry: Registry) -> None:
    data = await export_registry(registry.store)
    plan = await plan_import(json.dumps(data).encode(), registry.store, registry.places)
    assert plan.refused == [] and not plan.has_changes


async def test_a_stored_url_the_rules_now_refuse_is_reported_at_start_up(
        settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    from bot.runtime import open_registry

    registry = await open_registry(settings)
    async with registry.store.transaction():  # what an older version stored for any /p/ page
        await registry.store.insert_channel(place_slug="can_tho", platform="facebook", name="Cũ",
                                            url="https://www.facebook.com/p", verified_on="2025-11")
    await registry.store.close()
    with caplog.at_level("WARNING", logger="bot.runtime"):
        registry = await open_registry(settings)
    await registry.store.close()
    assert "(https://www.facebook.com/p) fails the link rules (no_page)" in caplog.text
