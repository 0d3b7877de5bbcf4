"""Admins keep the registry right through the Telegram front-end — and nobody else can touch it.

Every test drives the real Application against the fake Bot API and checks the SQLite file itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.changes import Changes
from bot.config import Settings
from bot.people import Person
from bot.runtime import open_registry
from bot.services import Registry
from bot.store import Store
from bot.transfer import export_registry, plan_import
from tests.conftest import decode_qr
from tests.fakebot.server import Call
from tests.fakebot.updates import EN_USER, GROUP, VI_USER, callback, inline, message
from tests.telegram_harness import SUPER_ADMIN, Harness

ONE = Person.telegram(1)
ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
OTHER_ADMIN = {"id": 555, "is_bot": False, "first_name": "Bình", "language_code": "vi"}
NEW_PAGE = "https://www.facebook.com/canthotv.official"


def sent(calls: list[Call], *methods: str) -> list[Call]:
    return [c for c in calls if c.method in methods and c.error is None]


def texts(calls: list[Call]) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in sent(
        calls, "sendMessage", "sendPhoto"))


def confirm_data(calls: list[Call], word: str = "yes") -> str:
    for c in calls:
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b.get("callback_data", "").startswith(word + "|"):
                    return b["callback_data"]
    raise AssertionError("no Confirm button")


async def state(bot: Harness) -> tuple:
    """Everything an admin command could change, to compare before/after."""
    store = bot.registry.store
    return (await store.all_channels(), await store.all_notice_ids(), await store.admins())


ADMIN_COMMANDS = [
    "/addchannel cần thơ https://www.facebook.com/fake.page Trang giả",
    "/editchannel https://www.facebook.com/congthongtincantho name Tên mới",
    "/retirechannel https://www.facebook.com/congthongtincantho",
    "/addnotice", "/history cần thơ", "/undo", "/export", "/import", "/admins", "/grant 777", "/revoke 555",
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_every_admin_command_from_a_non_admin_is_refused_and_changes_nothing(bot: Harness,
                                                                                   command: str) -> None:
    before = await state(bot)
    calls = await bot.send(message(command, user=VI_USER))
    [reply] = sent(calls, "sendMessage")
    assert reply.params["text"].startswith("<b>⛔")
    assert not sent(calls, "sendPhoto", "sendDocument")
    assert await state(bot) == before
    assert await bot.registry.store.all_audit() == []


async def test_a_non_admin_pressing_a_confirm_button_changes_nothing(bot: Harness) -> None:
    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE}", user=ADMIN))
    before = await state(bot)
    calls = await bot.send(callback(confirm_data(preview), user=VI_USER))
    assert "⛔" in texts(calls) and await state(bot) == before


async def test_grant_and_revoke_are_for_super_admins_only(bot: Harness) -> None:
    await bot.send(message("/grant 555", user=ADMIN))
    assert [a[0] for a in await bot.registry.store.admins()] == [Person.telegram(555)]
    calls = await bot.send(message("/grant 777", user=OTHER_ADMIN))  # an admin, not a super-admin
    assert "⛔" in texts(calls) and [a[0] for a in await bot.registry.store.admins()] == [Person.telegram(555)]
    assert any(c.params.get("scope", {}).get("chat_id") == 555 for c in bot.api.calls_to("setMyCommands"))
    await bot.send(message("/revoke 555", user=ADMIN))
    assert await bot.registry.store.admins() == []
    assert bot.api.calls_to("deleteMyCommands")
    assert [e.action for e in await bot.registry.store.all_audit()] == ["grant", "revoke"]


async def test_grant_as_a_reply_to_the_users_message(bot: Harness) -> None:
    update = message("/grant", user=ADMIN, chat=GROUP)
    update["message"]["reply_to_message"] = message("xin quyền", user=OTHER_ADMIN, chat=GROUP)["message"]
    await bot.send(update)
    assert [(a[0], a[1]) for a in await bot.registry.store.admins()] == [(Person.telegram(555), "Bình")]


async def test_admin_commands_show_in_the_menu_only_for_admins(bot: Harness) -> None:
    scoped = [c for c in bot.api.calls_to("setMyCommands") if c.params.get("scope", {}).get("type") == "chat"]
    assert {c.params["scope"]["chat_id"] for c in scoped} == {SUPER_ADMIN}
    assert "addchannel" in [cmd["command"] for cmd in scoped[0].params["commands"]]
    default = [c for c in bot.api.calls_to("setMyCommands") if c.params.get("scope", {}).get("type") == "default"]
    assert all("addchannel" not in [cmd["command"] for cmd in c.params["commands"]] for c in default)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/addchannel cần thơ http://www.facebook.com/x", "https://"),
        ("/addchannel cần thơ https://faceb00k.com/congthongtincantho", "KHÔNG phải facebook.com"),
        ("/addchannel cần thơ https://facebook.com@evil.example/x", "tên@"),
        ("/addchannel cần thơ https://xn--facebok-y0a.com/x", "punycode"),
        ("/addchannel atlantis https://www.facebook.com/atlantis", "Không xác định được đơn vị"),
        ("/addchannel qn https://www.facebook.com/quangx", "Quảng Ninh (quang_ninh)"),
        ("/addchannel cần thơ https://zalo.me/3460461954401350861", "đã có trong sổ"),
        ("/addchannel https://www.facebook.com/x", "Cách dùng"),
        ("/editchannel https://www.facebook.com/notregistered name X", "không có trong sổ"),
        ("/editchannel https://www.facebook.com/congthongtincantho colour red", "Cách dùng"),
        ("/retirechannel https://evil.example/x", "không phải nền tảng"),
    ],
)
async def test_bad_input_is_refused_with_a_reason(bot: Harness, command: str, reason: str) -> None:
    before = await state(bot)
    calls = await bot.send(message(command, user=ADMIN))
    assert reason in texts(calls)
    assert not any("yes|" in json.dumps(c.params.get("reply_markup", {})) for c in calls)
    assert await state(bot) == before


async def test_add_channel_previews_then_confirm_writes_once(bot: Harness) -> None:
    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE} <b>Cần Thơ</b> & <script>", user=ADMIN))
    [photo] = sent(preview, "sendPhoto")
    assert "XEM TRƯỚC" in photo.params["caption"] and NEW_PAGE in photo.params["caption"]
    assert NEW_PAGE in decode_qr(photo.files["photo"])
    assert await bot.registry.store.channel_by_url(NEW_PAGE) is None  # nothing written before Confirm
    data = confirm_data(preview)
    assert len(data.encode()) <= 64

    calls = await bot.send(callback(data, user=ADMIN))
    assert "Đã lưu thay đổi" in texts(calls)
    assert sent(calls, "editMessageReplyMarkup") or sent(calls, "answerCallbackQuery")
    channel = await bot.registry.store.channel_by_url(NEW_PAGE)
    assert channel is not None and channel.name == "<b>Cần Thơ</b> & <script>"  # stored as typed
    assert "&lt;b&gt;Cần Thơ&lt;/b&gt; &amp; &lt;script&gt;" in texts(calls)  # shown escaped
    count = await bot.registry.store.count("channels")

    again = await bot.send(callback(data, user=ADMIN))  # pressed twice
    assert "đã được xử lý" in texts(again)
    assert await bot.registry.store.count("channels") == count
    [entry] = await bot.registry.store.all_audit()
    assert (entry.action, entry.actor, entry.place_slug) == ("add_channel", Person.telegram(SUPER_ADMIN), "can_tho")
    assert entry.before == {"channels": [], "notices": []} and entry.after["channels"][0]["url"] == NEW_PAGE


async def test_cancel_then_confirm_changes_nothing(bot: Harness) -> None:
    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE}", user=ADMIN))
    before = await state(bot)
    assert "Đã hủy" in texts(await bot.send(callback(confirm_data(preview, "no"), user=ADMIN)))
    assert "đã được xử lý" in texts(await bot.send(callback(confirm_data(preview), user=ADMIN)))
    assert await state(bot) == before and await bot.registry.store.all_audit() == []


async def test_someone_elses_confirm_changes_nothing(bot: Harness) -> None:
    await bot.send(message("/grant 555", user=ADMIN))
    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE}", user=ADMIN))
    before = await state(bot)
    calls = await bot.send(callback(confirm_data(preview), user=OTHER_ADMIN))
    assert "Chỉ người đề xuất" in texts(calls) and await state(bot) == before
    assert "Đã lưu" in texts(await bot.send(callback(confirm_data(preview), user=ADMIN)))  # still the author's


async def test_after_a_change_card_file_id_and_inline_show_the_new_state(bot: Harness) -> None:
    first = sent(await bot.send(message("/channels cần thơ")), "sendPhoto")[0]
    assert "photo" in first.files
    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE} Trang mới", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    after = sent(await bot.send(message("/channels cần thơ")), "sendPhoto")[0]
    assert NEW_PAGE in after.params["caption"]
    if "photo" in after.files:  # a changed card is a new upload (the preview may have uploaded it already)
        assert NEW_PAGE in decode_qr(after.files["photo"])
    else:
        assert after.params["photo"] != first.params.get("photo") and NEW_PAGE in decode_qr(
            bot.api.files[after.params["photo"]])
    [answer] = sent(await bot.send(inline("can tho")), "answerInlineQuery")
    result = answer.params["results"][0]
    assert NEW_PAGE in (result.get("caption") or result["input_message_content"]["message_text"])


async def test_retire_with_a_successor_then_verify_says_superseded(bot: Harness) -> None:
    old = "https://www.facebook.com/congthongtincantho"
    preview = await bot.send(message(f"/retirechannel {old} {NEW_PAGE}", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    calls = await bot.send(message(f"/verify {old}", user=EN_USER))
    text = texts(calls)
    assert text.startswith("<b>⚠️ NO LONGER IN USE — superseded") and f"Replaced by: {NEW_PAGE}" in text
    [photo] = sent(await bot.send(message("/channels cần thơ")), "sendPhoto")
    assert old not in photo.params["caption"].replace(NEW_PAGE, "") and NEW_PAGE in photo.params["caption"]
    old_row = await bot.registry.store.channel_by_url(old)
    assert old_row is not None and old_row.status == "superseded"  # history is kept


async def test_edit_then_undo_restores_exactly_the_previous_state(bot: Harness) -> None:
    before = await state(bot)
    url = "https://zalo.me/3460461954401350861"
    preview = await bot.send(message(f"/editchannel {url} name Zalo mới", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert (await bot.registry.store.channel_by_url(url)).name == "Zalo mới"
    preview = await bot.send(message("/undo", user=ADMIN))  # issue 11: a preview first, then Confirm
    assert "XEM TRƯỚC" in texts(preview) and (await bot.registry.store.channel_by_url(url)).name == "Zalo mới"
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "Đã hoàn tác" in texts(calls)
    restored = await state(bot)
    assert [(c.id, c.name, c.url, c.status, c.notice_id, c.verified_on) for c in restored[0]] == [
        (c.id, c.name, c.url, c.status, c.notice_id, c.verified_on) for c in before[0]]
    actions = [e.action for e in await bot.registry.store.all_audit()]
    assert actions == ["edit_channel", "undo"]
    assert "đã được hoàn tác rồi" in texts(await bot.send(message("/undo", user=ADMIN)))  # not walked back


async def test_undo_of_an_add_removes_it_and_of_a_retire_reactivates(bot: Harness) -> None:
    preview = await bot.send(message(f"/retirechannel https://zalo.me/3460461954401350861 {NEW_PAGE}", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    await bot.send(callback(confirm_data(await bot.send(message("/undo", user=ADMIN))), user=ADMIN))
    zalo = await bot.registry.store.channel_by_url("https://zalo.me/3460461954401350861")
    assert zalo.status == "active" and zalo.superseded_by is None
    assert await bot.registry.store.channel_by_url(NEW_PAGE) is None


async def test_guided_addnotice_with_preview_confirm_and_newest_first(bot: Harness) -> None:
    answers = ["/addnotice", "cần thơ", "Văn phòng UBND thành phố Cần Thơ", "-/VPUB-TTĐH", "03/12/2026",
               "V/v kênh thông tin mới", "-", "Lê Xuân Hoa, Phó Chánh Văn phòng", "-",
               "https://zalo.me/3460461954401350861"]
    calls: list[Call] = []
    for text in answers:
        calls = await bot.send(message(text, user=ADMIN))
    assert "XEM TRƯỚC" in texts(calls) and "…/VPUB-TTĐH" in texts(calls)
    assert len(await bot.registry.store.all_notice_ids()) == 2
    await bot.send(callback(confirm_data(calls), user=ADMIN))
    assert len(await bot.registry.store.all_notice_ids()) == 3
    text = texts(await bot.send(message("/notice cần thơ")))
    assert text.index("V/v kênh thông tin mới") < text.index("V/v tăng cường theo dõi")  # newest first
    assert "03/12/2026" in text
    [photo] = sent(await bot.send(message("/channels can tho")), "sendPhoto")
    assert "03/12/2026" in photo.params["caption"]  # the Zalo OA's source is now the newer notice


async def test_addnotice_validates_each_answer_and_cancel_stops_it(bot: Harness) -> None:
    await bot.send(message("/addnotice", user=ADMIN))
    assert "Không xác định" in texts(await bot.send(message("atlantis", user=ADMIN)))
    await bot.send(message("bến tre", user=ADMIN))
    await bot.send(message("UBND", user=ADMIN))
    await bot.send(message("-", user=ADMIN))
    assert "Ngày không hợp lệ" in texts(await bot.send(message("32/13/20", user=ADMIN)))
    assert "Đã dừng" in texts(await bot.send(message("/cancel", user=ADMIN)))
    # After /cancel, a plain message is a question again, not an answer.
    assert sent(await bot.send(message("cần thơ", user=ADMIN)), "sendPhoto")
    assert len(await bot.registry.store.all_notice_ids()) == 2


async def test_history_is_paged_and_says_who_what_before_after(bot: Harness) -> None:
    changes = Changes(bot.registry)  # the same service the commands use, without drawing ten previews
    for i in range(10):
        token = await changes.propose(Person.telegram(SUPER_ADMIN), "add_channel", {
            "place_slug": "can_tho", "platform": "facebook", "url": f"https://www.facebook.com/page{i}", "name": "P"})
        await changes.confirm(token, Person.telegram(SUPER_ADMIN), "Quản trị")
    calls = await bot.send(message("/history can tho", user=ADMIN))
    text = texts(calls)
    assert "Trang 1/2" in text and "thêm kênh" in text and "Quản trị (telegram:999)" in text
    assert "+ https://www.facebook.com/page9" in text and "page0" not in text
    page2 = await bot.send(callback("history|can_tho 2", user=ADMIN))
    assert "+ https://www.facebook.com/page0" in texts(page2)


async def test_export_then_import_into_a_new_database_reproduces_the_registry(bot: Harness, settings: Settings,
                                                                              tmp_path: Path) -> None:
    preview = await bot.send(message(f"/addchannel bến tre {NEW_PAGE} Trang mới", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    calls = await bot.send(message("/export", user=ADMIN))
    docs = sent(calls, "sendDocument")
    assert len(docs) == 2
    exported = docs[0].files["document"]
    assert b"url,status" in docs[1].files["document"] or b"url" in docs[1].files["document"]

    other = Settings(db_path=tmp_path / "other.sqlite3", media_dir=tmp_path / "m", data_dir=settings.data_dir)
    fresh = await open_registry(other)
    try:
        plan = await plan_import(exported, fresh.store, fresh.places)
        assert plan.refused == [] and len(plan.added) == 1
        changes = Changes(fresh)
        await changes.confirm(await changes.propose(ONE, "import", plan.payload), ONE, "t")
        mine, theirs = await export_registry(bot.registry.store), await export_registry(fresh.store)
        strip = lambda e: sorted((c["url"], c["name"], c["status"], c["place_slug"]) for c in e["channels"])  # noqa: E731
        assert strip(mine) == strip(theirs)
        assert len(mine["notices"]) == len(theirs["notices"])
    finally:
        await fresh.store.close()


async def test_import_by_document_dry_run_then_confirm_in_one_go(bot: Harness) -> None:
    data = await export_registry(bot.registry.store)
    data["channels"].append({"place_slug": "ha_noi", "platform": "facebook", "name": "Hà Nội",
                             "url": "https://www.facebook.com/hanoi.portal"})
    data["channels"].append({"place_slug": "ha_noi", "platform": "facebook", "name": "Giả",
                             "url": "https://faceb00k.com/hanoi"})
    data["channels"].append({"place_slug": "atlantis", "platform": "facebook", "name": "X",
                             "url": "https://www.facebook.com/atl"})
    content = json.dumps(data).encode()
    bot.api.files["BQADimport"] = content
    update = message("", user=ADMIN)
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "BQADimport", "file_unique_id": "imp", "file_name": "registry.json",
                                     "file_size": len(content)}
    update["message"]["caption"] = "/import"
    before = await state(bot)
    calls = await bot.send(update)
    text = texts(calls)
    assert "thêm 1" in text and "từ chối 2" in text
    assert "✗ Kênh #6: không có đơn vị “atlantis”" in text
    assert "✗ Kênh #5: đường dẫn https://faceb00k.com/hanoi bị từ chối: Tên miền trông giống facebook.com" in text
    assert await state(bot) == before  # a dry run
    await bot.send(callback(confirm_data(calls), user=ADMIN))
    assert await bot.registry.store.channel_by_url("https://www.facebook.com/hanoi.portal") is not None
    assert [e.action for e in await bot.registry.store.all_audit()] == ["import"]  # one change, one audit row


def cli(tmp_path: Path, *args: str, db: str = "a") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent,
                          env={**env, "BOT_DB_PATH": str(tmp_path / f"{db}.sqlite3")})


def test_cli_export_then_import_dry_run_and_apply(tmp_path: Path) -> None:
    def run(*args: str, db: str = "a") -> subprocess.CompletedProcess[str]:
        return cli(tmp_path, *args, db=db)

    assert run("export", str(tmp_path / "reg.json")).returncode == 0
    exported = json.loads((tmp_path / "reg.json").read_text(encoding="utf-8"))
    assert len(exported["channels"]) == 3 and (tmp_path / "reg.csv").exists()
    exported["channels"].append({"place_slug": "hue", "platform": "facebook", "name": "Huế",
                                 "url": "https://www.facebook.com/hue.portal"})
    (tmp_path / "reg.json").write_text(json.dumps(exported), encoding="utf-8")
    dry = run("import", str(tmp_path / "reg.json"), db="b")
    assert "add 1" in dry.stdout and "dry run" in dry.stdout
    assert "applied" in run("import", str(tmp_path / "reg.json"), "--apply", db="b").stdout


async def test_cli_backup_copies_a_database_in_use(registry: Registry, settings: Settings, tmp_path: Path) -> None:
    async with registry.store.transaction():  # a change the running bot has made
        await registry.store.insert_channel(place_slug="hue", platform="facebook", name="Huế",
                                            url="https://www.facebook.com/hue.portal", verified_on="2026-11")
    done = await asyncio.to_thread(cli, tmp_path, "backup", str(tmp_path / "copy.sqlite3"), db=settings.db_path.stem)
    assert done.returncode == 0
    copy = await Store.open(tmp_path / "copy.sqlite3")
    try:
        assert "https://www.facebook.com/hue.portal" in [c.url for c in await copy.all_channels()]
    finally:
        await copy.close()


def test_console_admin_confirms_by_typing_yes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(BOT_DB_PATH=str(tmp_path / "c.sqlite3"), BOT_MEDIA_DIR=str(tmp_path / "media"))
    lines = [f"/addchannel huế {NEW_PAGE} Trang Huế", "no", "/verify " + NEW_PAGE,
             f"/addchannel huế {NEW_PAGE} Trang Huế", "yes", "/verify " + NEW_PAGE]
    out = subprocess.run([sys.executable, "-m", "bot", "console"], input="\n".join(lines) + "\n", text=True,
                         capture_output=True, env=env, cwd=Path(__file__).resolve().parent.parent, timeout=60).stdout
    first, second = out.split("Gõ “có” để xác nhận", 2)[1:]
    assert "Đã hủy" in first and "CHƯA ĐĂNG KÝ" in first
    assert "Đã lưu" in second and "✅ CHÍNH THỨC — Thành phố Huế" in second


async def test_a_change_redraws_only_the_cards_of_the_places_it_touched(registry: Registry) -> None:
    places = registry.places.places
    can_tho, vinh_long = await registry.unit_view(places["can_tho"]), await registry.unit_view(places["vinh_long"])
    changes = Changes(registry)
    token = await changes.propose(ONE, "add_channel", {"place_slug": "old_soc_trang", "platform": "facebook",
                                                     "url": NEW_PAGE, "name": "Sóc Trăng"})
    await changes.confirm(token, ONE, "a")
    assert await registry.unit_view(places["vinh_long"]) is vinh_long
    fresh = await registry.unit_view(places["can_tho"])  # Sóc Trăng is part of Cần Thơ now
    assert fresh is not can_tho and NEW_PAGE in [cv.channel.url for cv in fresh.channels]


async def test_edit_moves_a_channel_to_another_unit(bot: Harness) -> None:
    url = "https://zalo.me/3460461954401350861"
    preview = await bot.send(message(f"/editchannel {url} unit hà nội", user=ADMIN))
    assert "Thành phố Hà Nội" in texts(preview)
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    [hanoi] = sent(await bot.send(message("/channels hà nội")), "sendPhoto")
    [can_tho] = sent(await bot.send(message("/channels cần thơ")), "sendPhoto")
    assert url in hanoi.params["caption"] and url not in can_tho.params["caption"]
    assert [e.action for e in await bot.registry.store.all_audit()] == ["edit_channel"]


async def test_edit_changes_a_url_and_verify_follows(bot: Harness) -> None:
    old = "https://www.facebook.com/congthongtincantho"
    preview = await bot.send(message(f"/editchannel {old} url https://m.facebook.com/CanThoPortal/", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "CHƯA ĐĂNG KÝ" in texts(await bot.send(message(f"/verify {old}")))
    assert "✅ CHÍNH THỨC — Thành phố Cần Thơ" in texts(
        await bot.send(message("/verify https://www.facebook.com/canthoportal")))


async def test_retire_without_a_successor(bot: Harness) -> None:
    url = "https://zalo.me/3460461954401350861"
    preview = await bot.send(message(f"/retirechannel {url}", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    text = texts(await bot.send(message(f"/verify {url}", user=EN_USER)))
    assert text.startswith("<b>⚠️ NO LONGER IN USE — retired") and "Replaced by" not in text
    assert "đã ngừng sử dụng" in texts(await bot.send(message(f"/retirechannel {url}", user=ADMIN)))


async def test_an_import_file_that_is_too_big_is_refused(bot: Harness) -> None:
    update = message("", user=ADMIN)
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "BQADbig", "file_unique_id": "big", "file_name": "registry.json",
                                     "file_size": 50 * 1024 * 1024}
    assert "Tệp quá lớn" in texts(await bot.send(update))


async def test_history_says_before_and_after_in_the_users_language(bot: Harness) -> None:
    url = "https://zalo.me/3460461954401350861"
    preview = await bot.send(message(f"/editchannel {url} name Zalo mới", user=ADMIN))
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    admin_en = {**ADMIN, "language_code": "en"}
    text = texts(await bot.send(message("/history can tho", user=admin_en)))
    assert "channel edited" in text and f"~ {url}: name Cổng TTĐT Cần Thơ → Zalo mới" in text


async def test_a_confirm_long_after_the_preview_is_refused(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    preview = await bot.send(message(f"/addchannel cần thơ {NEW_PAGE}", user=ADMIN))
    monkeypatch.setattr(Changes, "PENDING_TTL", timedelta(seconds=-1))  # as if a day had passed
    before = await state(bot)
    assert "quá 24 giờ" in texts(await bot.send(callback(confirm_data(preview), user=ADMIN)))
    assert await state(bot) == before
