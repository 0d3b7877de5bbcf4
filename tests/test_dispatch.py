"""Tests by layer: the dispatcher called directly, asserting on the Replies (no front-end), and a renderer
conformance test run over every renderer (Telegram's HTML + keyboard, the plain text of the console and Zalo):
every action reachable as a button or as typed text, every link's URL visible in the text, confirm and cancel
reachable, every limit kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.frontends import plain
from bot.frontends.telegram import _rendering, keyboard
from bot.people import CONSOLE_USER, ZALO, Person
from bot.replies import Choice, Confirmation, Pager, Reply, UrlButton, actions, to_plain
from bot.services import Registry
from handlers import COMMANDS, Command, Context, Dispatcher, menu
from handlers.dispatch import CommandInput, PickInput, TextInput, UploadInput, parse_command

ADMIN = Person(ZALO, "ad000000000000000001")
STRANGER = Person(ZALO, "st000000000000000002")


def context(registry: Registry, who: Person = STRANGER, *, typed: bool = True, chat: str = "c1") -> Context:
    return Context(registry, "vi", who, "N", chat=chat, super_admins=frozenset({ADMIN}), typed=typed)


def text_of(replies: list[Reply]) -> str:
    return "\n".join(to_plain(r.lines) for r in replies)


# --- the dispatcher ------------------------------------------------------------------------------------------
def test_commands_are_parsed_once_for_everyone() -> None:
    assert parse_command("/channels@KenhBot cần thơ", "kenhbot") == CommandInput("channels", "cần thơ")
    assert parse_command("/channels@OtherBot cần thơ", "kenhbot") is None
    assert parse_command("/verify\nhttps://zalo.me/1") == CommandInput("verify", "https://zalo.me/1")
    assert parse_command("/CHANNELS  hà nội ") == CommandInput("channels", "hà nội")
    assert parse_command("cần thơ") is None and parse_command("/") is None


async def test_unknown_commands_and_failing_handlers_get_an_answer(
        setup: tuple[Registry, Dispatcher], monkeypatch: pytest.MonkeyPatch) -> None:
    registry, dispatcher = setup
    [unknown] = await dispatcher.dispatch(context(registry), CommandInput("nonsense", ""))
    assert "/nonsense" in to_plain(unknown.lines)

    async def broken(ctx: Context, args: str) -> Reply:
        raise RuntimeError("boom")

    monkeypatch.setitem(COMMANDS, "help", Command("help", broken))
    [apology] = await dispatcher.dispatch(context(registry), CommandInput("help", ""))
    assert to_plain(apology.lines) == "Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau."


async def test_a_typed_yes_confirms_only_the_callers_own_preview(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    url = "https://www.facebook.com/hue.dispatch.test"
    [preview] = await dispatcher.dispatch(context(registry, ADMIN), CommandInput("addchannel", f"huế {url} Huế"))
    assert preview.confirm is not None
    # Someone else typing "có" in their own chat confirms nothing: they have no preview waiting.
    [answer] = await dispatcher.dispatch(context(registry, STRANGER), TextInput("có"))
    assert await registry.store.channel_by_url(url) is None
    assert "Xin lỗi" not in to_plain(answer.lines) and not answer.settled  # a question like any other
    [saved] = await dispatcher.dispatch(context(registry, ADMIN), TextInput("Có!"))
    assert "Đã lưu" in to_plain(saved.lines) and await registry.store.channel_by_url(url) is not None
    # The preview is used up: another "có" is just text.
    [again] = await dispatcher.dispatch(context(registry, ADMIN), TextInput("có"))
    assert "Đã lưu" not in to_plain(again.lines)


async def test_anything_else_typed_cancels_a_waiting_preview_and_is_answered(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    url = "https://www.facebook.com/hue.dispatch.other"
    await dispatcher.dispatch(context(registry, ADMIN), CommandInput("addchannel", f"huế {url} Huế"))
    cancelled, answer = await dispatcher.dispatch(context(registry, ADMIN), TextInput("cần thơ"))
    assert "hủy" in to_plain(cancelled.lines).lower() and "Cần Thơ" in to_plain(answer.lines)
    assert await registry.store.channel_by_url(url) is None
    await dispatcher.dispatch(context(registry, ADMIN), CommandInput("addchannel", f"huế {url} Huế"))
    [no] = await dispatcher.dispatch(context(registry, ADMIN), CommandInput("cancel", ""))
    assert "hủy" in to_plain(no.lines).lower() and await registry.store.channel_by_url(url) is None
    # Another command while a preview waits: the preview is cancelled (said so), then the command answered.
    await dispatcher.dispatch(context(registry, ADMIN), CommandInput("addchannel", f"huế {url} Huế"))
    dropped, help_ = await dispatcher.dispatch(context(registry, ADMIN), CommandInput("help", ""))
    assert "hủy" in to_plain(dropped.lines).lower() and to_plain(help_.lines).startswith("Cách dùng")
    [later] = await dispatcher.dispatch(context(registry, ADMIN), TextInput("có"))  # nothing waits any more
    assert await registry.store.channel_by_url(url) is None and "Đã lưu" not in to_plain(later.lines)


async def test_a_number_picks_from_the_last_menu_in_that_chat_only(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    [menu] = await dispatcher.dispatch(context(registry, chat="a"), CommandInput("channels", ""))
    first = menu.choices[0]
    [picked] = await dispatcher.dispatch(context(registry, chat="a"), TextInput("1"))
    assert to_plain(picked.lines).startswith("Kênh thông tin chính thức")
    assert first.arg in {p.slug for p in registry.places.units()}
    [elsewhere] = await dispatcher.dispatch(context(registry, chat="b"), TextInput("1"))  # no menu there
    assert not to_plain(elsewhere.lines).startswith("Kênh thông tin chính thức")
    # With buttons, a number is text like any other (it is never a pick).
    [with_buttons] = await dispatcher.dispatch(context(registry, typed=False, chat="a"), TextInput("1"))
    assert not to_plain(with_buttons.lines).startswith("Kênh thông tin chính thức")


async def test_admin_and_private_rules_are_the_commands_own(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    [refused] = await dispatcher.dispatch(context(registry), CommandInput("history", "cần thơ"))
    assert refused.alert and "quản trị" in to_plain(refused.lines).lower()
    ctx = context(registry, ADMIN)
    ctx.private = False
    [group] = await dispatcher.dispatch(ctx, CommandInput("export", ""))
    assert group.files == [] and group.alert
    [picked] = await dispatcher.dispatch(context(registry), PickInput("grant", "zalo:abc"))
    assert await registry.store.admins() == [] and picked.notify == [] and picked.role_changed is None


async def test_an_upload_is_fetched_only_once_size_and_role_allow(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    fetched: list[str] = []

    async def fetch() -> bytes:
        fetched.append("x")
        return b"{}"

    [big] = await dispatcher.dispatch(context(registry, ADMIN), UploadInput("x.json", 6 * 1024 * 1024, fetch))
    [stranger] = await dispatcher.dispatch(context(registry, STRANGER), UploadInput("x.json", 10, fetch))
    assert fetched == [] and "5 MB" in to_plain(big.lines) and "quản trị" in to_plain(stranger.lines).lower()
    await dispatcher.dispatch(context(registry, ADMIN), UploadInput("x.json", 10, fetch))
    assert fetched == ["x"]


async def test_lang_is_kept_per_person(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    [bad] = await dispatcher.dispatch(context(registry), CommandInput("lang", "fr"))
    assert "/lang vi" in to_plain(bad.lines)
    await dispatcher.dispatch(context(registry), CommandInput("lang", "en"))
    [english] = await dispatcher.dispatch(context(registry), CommandInput("help", ""))
    [other] = await dispatcher.dispatch(context(registry, ADMIN), CommandInput("help", ""))
    assert to_plain(english.lines).startswith("How to use") and to_plain(other.lines).startswith("Cách dùng")
    assert await registry.store.language(STRANGER) == "en"


def test_every_command_is_declared_once_with_its_help() -> None:
    from bot.i18n import has

    listed = [c for c in COMMANDS.values() if c.menu is not None]
    assert {c.name for c in listed} >= {"channels", "notice", "verify", "report", "help", "addchannel", "grant"}
    assert all(has(f"help_{c.name}") or has(f"menu_{c.name}") for c in listed)
    assert all(c.admin or c.super_admin for c in listed if c.name in ("addchannel", "history", "export", "grant"))
    public = ["channels", "notice", "verify", "report", "subscribe", "subscriptions", "unsubscribe", "help"]
    assert [c.name for c in menu(admin=False)] == public
    assert [c.name for c in menu(admin=True)][:9] == [*public, "addchannel"]


# --- renderer conformance -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    texts: list[str]  # what the user reads
    reachable: set[tuple[str, str]]  # (command, arg) they can pick: a button, or a numbered line to answer
    confirmable: bool
    cancellable: bool


def telegram(reply: Reply) -> Rendered:
    rendering = _rendering(reply, "vi")
    texts = [rendering.caption, *(text for text, _ in rendering.messages)]
    markup = keyboard(reply, "vi")
    data = {b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row if b.callback_data}
    urls = {b.url for row in (markup.inline_keyboard if markup else ()) for b in row if b.url}
    reachable = {(d.partition("|")[0], d.partition("|")[2]) for d in data if isinstance(d, str)}
    for text in texts:
        assert len(text) <= 4096
    return Rendered([*texts, *sorted(u for u in urls if u)], reachable,
                    any(isinstance(d, str) and d.startswith("yes|") for d in data),
                    any(isinstance(d, str) and d.startswith("no|") for d in data))


def plain_text(limit: int | None) -> Callable[[Reply], Rendered]:
    def render(reply: Reply) -> Rendered:
        texts = plain.render(reply, "vi", limit=limit)
        for text in texts:
            assert limit is None or len(text) <= limit
            assert "<b>" not in text
        picks = actions(reply, "vi")
        numbered = {line.split(". ", 1)[0] for text in texts for line in text.splitlines() if ". " in line}
        reachable = {(c.command, c.arg) for i, c in enumerate(picks, 1) if str(i) in numbered}
        joined = "\n".join(texts)
        return Rendered(texts, reachable, "“có”" in joined, "“không”" in joined)

    return render


RENDERERS = {"telegram": telegram, "console": plain_text(None), "zalo": plain_text(2000)}


def sample_replies() -> list[Reply]:
    long = Reply().add("Kênh thông tin chính thức — Thành phố Cần Thơ")
    for i in range(120):
        long.add(f"• Facebook: Trang {i}").add(f"https://www.facebook.com/page.number.{i}")
    long.choices = [Choice("Xem văn bản", "notice", "can_tho")]
    long.pager = Pager("channels", "can_tho", 2, 3)
    long.buttons = [UrlButton("Trang của đơn vị", "https://kenh.example.gov.vn/don-vi/can_tho/")]
    preview = Reply().add("XEM TRƯỚC — thêm kênh").add("https://www.facebook.com/new.page")
    preview.confirm = Confirmation("tok123456789")
    menu = Reply().add("Chọn tỉnh")
    menu.choices = [Choice(f"Đơn vị {i}", "channels", f"unit_{i}") for i in range(12)]
    menu.pager = Pager("units", "", 1, 3)
    return [long, preview, menu]


@pytest.mark.parametrize("name", list(RENDERERS))
def test_every_renderer_shows_every_url_reaches_every_action_and_keeps_its_limits(name: str) -> None:
    render = RENDERERS[name]
    for reply in sample_replies():
        rendered = render(reply)
        joined = "\n".join(rendered.texts)
        for line in to_plain(reply.lines).splitlines():
            for word in line.split():
                if word.startswith("https://"):
                    assert word in joined, (name, word)
        for button in reply.buttons:
            assert button.url in joined, (name, button.url)
        assert {(c.command, c.arg) for c in actions(reply, "vi")} <= rendered.reachable, name
        if reply.confirm is not None:
            assert rendered.confirmable and rendered.cancellable, name


def test_the_console_user_is_a_super_admin_only_on_the_console() -> None:
    assert CONSOLE_USER.platform == "console" and CONSOLE_USER.telegram_id is None
