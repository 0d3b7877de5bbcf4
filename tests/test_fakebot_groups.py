"""The fake Bot API in groups, as the real python-telegram-bot client sees it over real HTTP: flood limits,
group membership (getChatMember, getChat, getChatAdministrators), the bot kicked or blocked (my_chat_member),
and a group upgraded to a supergroup (ChatMigrated and the two service messages).

Time in the flood tests is a clock the test moves, so crossing a 60-second window takes no 60 seconds."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import (
    Bot,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InputMediaPhoto,
    MessageOriginUser,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.frontends.aiohttp_request import AiohttpRequest
from tests.fakebot.server import BOT_USER, GROUP_ANONYMOUS_BOT, Call, FakeBotApi, max_in_window
from tests.fakebot.spec import ApiError, check_call, check_value, spec

USER = 42  # a private chat
OWNER, ADMIN, MEMBER, STRANGER = 1, 2, 3, 4
SUPERGROUP = -1001000000777
GROUP = -600123


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(clock=clock)
    await server.start()
    yield server
    await server.close()


def client(api: FakeBotApi) -> Bot:
    return Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url,
               request=AiohttpRequest(), get_updates_request=AiohttpRequest())


@pytest.fixture
async def tg(fake: FakeBotApi) -> AsyncIterator[Bot]:
    """The real PTB Bot (no rate limiter: it sends what it is told), on the project's request class."""
    async with client(fake) as bot:
        yield bot


async def raw(api: FakeBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A call as plain JSON over HTTP: the status and body exactly as the fake answers them."""
    async with aiohttp.ClientSession() as session, session.post(f"{api.base_url}{api.token}/{method}",
                                                                json=params) as response:
        return response.status, await response.json()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, format="PNG")
    return buf.getvalue()


def add_groups(api: FakeBotApi) -> None:
    api.add_group(SUPERGROUP, title="Phòng CNTT", kind="supergroup", creator=OWNER, admins=[ADMIN],
                  members=[MEMBER])
    api.add_group(GROUP, title="Tổ dân phố 3", kind="group", creator=OWNER, admins=[ADMIN, BOT_USER["id"]],
                  members=[MEMBER])


# --- groups and membership -------------------------------------------------------------------------------
async def test_get_chat_member_statuses_parse_into_ptbs_chat_member_subclasses(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    expected = {OWNER: ChatMemberOwner, ADMIN: ChatMemberAdministrator, MEMBER: ChatMemberMember,
                STRANGER: ChatMemberLeft}
    for user_id, kind in expected.items():
        member = await tg.get_chat_member(SUPERGROUP, user_id)
        assert type(member) is kind, (user_id, member)
        assert member.user.id == user_id
        check_value(fake.member(SUPERGROUP, user_id), ["ChatMember"], "result")  # shaped as the spec says
    admin = await tg.get_chat_member(SUPERGROUP, ADMIN)
    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.can_manage_chat and admin.can_post_stories and not admin.is_anonymous
    owner = await tg.get_chat_member(SUPERGROUP, OWNER)
    assert isinstance(owner, ChatMemberOwner) and owner.is_anonymous is False
    # The bot itself: a member, or an administrator where it is one.
    assert type(await tg.get_chat_member(SUPERGROUP, BOT_USER["id"])) is ChatMemberMember
    assert type(await tg.get_chat_member(GROUP, BOT_USER["id"])) is ChatMemberAdministrator
    calls = fake.calls_to("getChatMember")
    assert len(calls) == 8 and all(c.params["user_id"] in (*expected, BOT_USER["id"]) for c in calls)


async def test_answers_are_shaped_as_the_spec_says(fake: FakeBotApi) -> None:
    add_groups(fake)
    _, sent = await raw(fake, "sendMessage", chat_id=GROUP, text="tin")
    message_id = sent["result"]["message_id"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("getChat", {"chat_id": SUPERGROUP}), ("getChat", {"chat_id": GROUP}),
        ("getChatAdministrators", {"chat_id": SUPERGROUP}),
        *[("getChatMember", {"chat_id": GROUP, "user_id": u}) for u in (OWNER, ADMIN, MEMBER, STRANGER)],
        ("sendMessage", {"chat_id": SUPERGROUP, "text": "tin"}),
        ("copyMessage", {"chat_id": SUPERGROUP, "from_chat_id": GROUP, "message_id": message_id}),
        ("forwardMessage", {"chat_id": SUPERGROUP, "from_chat_id": GROUP, "message_id": message_id}),
    ]
    for method, params in calls:
        status, body = await raw(fake, method, **params)
        assert status == 200 and body["ok"], (method, body)
        check_value(body["result"], spec()["methods"][method]["returns"], method)


def test_get_chat_member_parameters_are_checked_against_the_spec() -> None:
    check_call("getChatMember", {"chat_id": SUPERGROUP, "user_id": ADMIN})
    check_call("getChatMember", {"chat_id": "@phong_cntt", "user_id": ADMIN})
    with pytest.raises(ApiError, match='parameter "user_id" is required'):
        check_call("getChatMember", {"chat_id": SUPERGROUP})
    with pytest.raises(ApiError, match="expected an Integer"):
        check_call("getChatMember", {"chat_id": SUPERGROUP, "user_id": "two"})
    check_call("getChat", {"chat_id": SUPERGROUP})
    check_call("getChatAdministrators", {"chat_id": SUPERGROUP})


async def test_an_unknown_chat_is_not_found(fake: FakeBotApi, tg: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.get_chat_member(-100999, OWNER)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.get_chat(-100999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.get_chat_administrators(-100999)
    assert [c.error for c in fake.calls[-3:]] == ["Bad Request: chat not found"] * 3


async def test_get_chat_and_get_chat_administrators_of_a_known_group(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    info = await tg.get_chat(SUPERGROUP)
    assert isinstance(info, ChatFullInfo)
    assert (info.id, info.type, info.title) == (SUPERGROUP, "supergroup", "Phòng CNTT")
    assert (await tg.get_chat(GROUP)).type == "group"
    admins = await tg.get_chat_administrators(GROUP)
    assert [type(a) for a in admins] == [ChatMemberOwner, ChatMemberAdministrator, ChatMemberAdministrator]
    assert [a.user.id for a in admins] == [OWNER, ADMIN, BOT_USER["id"]]
    # A private chat is known once the bot has written there.
    with pytest.raises(BadRequest):
        await tg.get_chat(USER)
    await tg.send_message(USER, "xin chào")
    assert (await tg.get_chat(USER)).type == "private"


async def test_messages_in_a_group_carry_its_type_and_title(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    sent = await tg.send_message(GROUP, "thông báo")
    assert (sent.chat.type, sent.chat.title) == ("group", "Tổ dân phố 3")
    sent = await tg.send_message(SUPERGROUP, "thông báo")
    assert (sent.chat.type, sent.chat.title) == ("supergroup", "Phòng CNTT")
    sent = await tg.send_message(-100555, "thông báo")  # never added: the old guess
    assert (sent.chat.type, sent.chat.title) == ("supergroup", "Group")


def test_add_group_refuses_what_is_no_group() -> None:
    api = FakeBotApi()
    with pytest.raises(ValueError):
        api.add_group(5)
    with pytest.raises(ValueError):
        api.add_group(-5, kind="channel")  # type: ignore[arg-type]


# --- flood limits --------------------------------------------------------------------------------------------
async def test_the_31st_message_in_a_second_is_refused_with_retry_after(
        fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    step = 1 / 64  # exact in binary: the window's edge is reached exactly, not 1e-13 short of it
    for i in range(30):
        await tg.send_message(USER + i, f"tin {i}")  # many chats: the limit is for all of them together
        clock.advance(step)
    with pytest.raises(RetryAfter) as refused:
        await tg.send_message(USER, "tin 31")
    # The oldest of the 30 leaves the window 1 s after it landed, 1 - 30/64 s from now: "retry after 1".
    assert refused.value.retry_after == dt.timedelta(seconds=1)
    last = fake.calls[-1]
    assert last.error == "Too Many Requests: retry after 1" and last.method == "sendMessage"
    assert len(fake.delivered(USER)) == 1  # refused means not delivered
    assert fake.max_sends_per_second() == 30
    clock.advance(1 - 30 * step)  # the first message is now 1 s old: one more fits
    await tg.send_message(USER, "tin 31")
    with pytest.raises(RetryAfter):
        await tg.send_message(USER, "tin 32")
    assert fake.max_sends_per_second() == 30


async def test_on_the_real_clock_quick_sends_are_cut_at_30_a_second(api: FakeBotApi) -> None:
    """The same on time.monotonic: sends as fast as they go are refused once 30 landed within a second."""
    async with client(api) as bot:
        with pytest.raises(RetryAfter):
            for i in range(200):  # 31 in a second, whatever the load on the machine
                await bot.send_message(USER, f"tin {i}")
    assert len(api.calls_to("sendMessage", ok=False)) == 1
    assert api.max_sends_per_second() == 30


async def test_an_album_counts_one_message_per_item(fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    photo = png()
    album = [InputMediaPhoto(photo), InputMediaPhoto(photo), InputMediaPhoto(photo)]
    for _ in range(9):
        await tg.send_media_group(USER, album)
    assert fake.max_sends_per_second() == 27
    with pytest.raises(RetryAfter):
        await tg.send_media_group(USER, [*album, InputMediaPhoto(photo)])  # 27 + 4 > 30
    await tg.send_media_group(USER, album)  # 27 + 3 = 30
    assert fake.max_sends_per_second() == 30
    with pytest.raises(RetryAfter):
        await tg.send_photo(USER, photo)


async def test_only_successful_sends_count(fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    for _ in range(5):
        with pytest.raises(BadRequest):
            await tg.send_message(USER, "<b>unclosed", parse_mode="HTML")
    for i in range(30):
        await tg.send_message(USER, f"tin {i}")
    assert len(fake.calls_to("sendMessage", ok=False)) == 5
    assert fake.max_sends_per_second() == 30


async def test_the_21st_message_to_a_group_within_a_minute_is_refused(
        fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    add_groups(fake)
    start = clock.now
    for i in range(20):
        await tg.send_message(GROUP, f"tin {i}")
        clock.advance(2)  # well under 30 a second: only the group's own limit can bite
    assert clock.now - start == 40
    with pytest.raises(RetryAfter) as refused:
        await tg.send_message(GROUP, "tin 21")
    assert refused.value.retry_after == dt.timedelta(seconds=20)  # the first leaves the minute at start + 60
    assert fake.calls[-1].error == "Too Many Requests: retry after 20"
    assert await raw(fake, "sendMessage", chat_id=GROUP, text="tin 21") == (429, {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 20",
        "parameters": {"retry_after": 20}})
    assert len(fake.sends_to(GROUP)) == 20 and fake.max_sends_per_minute(GROUP) == 20
    # Other chats are not held back: another group, a private chat.
    await tg.send_message(SUPERGROUP, "tin khác")
    await tg.send_message(USER, "tin riêng")
    clock.advance(19.5)
    with pytest.raises(RetryAfter) as refused:
        await tg.send_message(GROUP, "tin 21")
    assert refused.value.retry_after == dt.timedelta(seconds=1)  # 0.5 s, in whole seconds
    clock.advance(0.5)
    await tg.send_message(GROUP, "tin 21")
    assert fake.max_sends_per_minute(GROUP) == 20 and len(fake.sends_to(GROUP)) == 21


async def test_copies_and_forwards_are_sends_too(fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    add_groups(fake)
    original = await tg.send_message(USER, "cảnh báo thay đổi")
    copied = await tg.copy_message(GROUP, USER, original.message_id)
    assert fake.message(GROUP, copied.message_id)["text"] == "cảnh báo thay đổi"  # type: ignore[index]
    forwarded = await tg.forward_message(GROUP, USER, original.message_id)
    assert isinstance(forwarded.forward_origin, MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == BOT_USER["id"]
    for i in range(18):
        await tg.send_message(GROUP, f"tin {i}")
    with pytest.raises(RetryAfter):
        await tg.copy_message(GROUP, USER, original.message_id)
    assert [c.method for c in fake.sends_to(GROUP)][:2] == ["copyMessage", "forwardMessage"]
    assert fake.max_sends_per_minute(GROUP) == 20
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await tg.copy_message(SUPERGROUP, USER, 1)


async def test_without_flood_limits_everything_goes_through(clock: FakeClock) -> None:
    api = FakeBotApi(clock=clock, flood_limits=False)
    await api.start()
    try:
        async with client(api) as bot:
            api.add_group(GROUP)
            for i in range(40):
                await bot.send_message(GROUP, f"tin {i}")
        assert api.max_sends_per_second() == 40 and api.max_sends_per_minute(GROUP) == 40
        assert not [c for c in api.calls if c.error]
    finally:
        await api.close()


def test_sliding_windows_are_half_open() -> None:
    """Two messages exactly one second apart are in no common second: (t - 1, t]."""
    calls = [Call("sendMessage", {"chat_id": 1}, at=t) for t in (0.0, 0.5, 1.0, 1.2)]
    assert max_in_window(calls, 1.0) == 3  # 0.5, 1.0, 1.2
    album = Call("sendMediaGroup", {"chat_id": 1, "media": [{}, {}, {}]}, at=1.9)
    assert max_in_window([*calls, album], 1.0) == 5  # 1.0, 1.2 and three items
    assert max_in_window([Call("getMe", {}, at=0.0)], 1.0) == 0


async def test_calls_are_stamped_with_the_servers_clock(fake: FakeBotApi, tg: Bot, clock: FakeClock) -> None:
    clock.now = 5000.0
    await tg.send_message(USER, "tin")
    assert fake.calls[-1].at == 5000.0


async def test_the_default_clock_is_time_monotonic(api: FakeBotApi) -> None:
    before = time.monotonic()
    async with client(api) as bot:
        await bot.send_message(USER, "tin")
    after = time.monotonic()
    assert all(before <= c.at <= after for c in api.calls)
    assert api.flood_limits  # on unless a test says otherwise


def test_api_error_carries_retry_after_and_other_parameters() -> None:
    assert ApiError("Too Many Requests: retry after 3", 429, 3).response_parameters == {"retry_after": 3}
    assert ApiError("Bad Request").response_parameters is None
    migrated = ApiError("Bad Request: group chat was upgraded to a supergroup chat",
                        parameters={"migrate_to_chat_id": -1})
    assert migrated.response_parameters == {"migrate_to_chat_id": -1} and migrated.retry_after is None


# --- the bot kicked, or blocked --------------------------------------------------------------------------
async def test_a_bot_kicked_from_a_supergroup_gets_forbidden_and_a_my_chat_member_update(
        fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    pushed = fake.remove_bot(SUPERGROUP, by_user=ADMIN)
    check_value(pushed, ["Update"], "update")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await tg.send_message(SUPERGROUP, "cảnh báo")
    assert fake.calls[-1].error == "Forbidden: bot was kicked from the supergroup chat"
    assert await raw(fake, "sendMessage", chat_id=SUPERGROUP, text="cảnh báo") == (403, {
        "ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the supergroup chat"})
    assert fake.sends_to(SUPERGROUP) == []
    with pytest.raises(Forbidden):
        await tg.get_chat_member(SUPERGROUP, ADMIN)
    (update,) = await tg.get_updates(timeout=0)
    assert update.update_id == pushed["update_id"]
    changed = update.my_chat_member
    assert changed is not None and changed.chat.id == SUPERGROUP and changed.chat.type == "supergroup"
    assert changed.from_user.id == ADMIN
    assert type(changed.old_chat_member) is ChatMemberMember and changed.old_chat_member.user.id == BOT_USER["id"]
    assert type(changed.new_chat_member) is ChatMemberBanned and changed.new_chat_member.status == "kicked"
    assert changed.new_chat_member.user.id == BOT_USER["id"]
    await tg.send_message(GROUP, "nhóm khác vẫn nhận")  # only that chat


async def test_a_bot_kicked_from_a_group_where_it_was_admin(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    raw = fake.remove_bot(GROUP, push=False)
    assert "update_id" not in raw and fake.pending_updates() == []
    update = Update.de_json({"update_id": 1, **raw}, tg)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert type(update.my_chat_member.old_chat_member) is ChatMemberAdministrator
    assert update.my_chat_member.from_user.id == OWNER  # nobody named: the creator
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await tg.send_photo(GROUP, png())
    fake.add_group(GROUP)  # added back
    await tg.send_message(GROUP, "đã trở lại")


async def test_a_user_blocking_the_bot(fake: FakeBotApi, tg: Bot) -> None:
    await tg.send_message(USER, "xin chào")
    raw = fake.remove_bot(USER)
    check_value(raw, ["Update"], "update")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_message(USER, "còn đó không?")
    with pytest.raises(Forbidden):
        await tg.send_chat_action(USER, "typing")
    (update,) = await tg.get_updates(timeout=0)
    changed = update.my_chat_member
    assert changed is not None and changed.chat.type == "private" and changed.from_user.id == USER
    assert changed.new_chat_member.status == "kicked" and changed.old_chat_member.status == "member"
    with pytest.raises(ValueError):
        fake.remove_bot(USER + 1, left=True)


async def test_a_bot_that_left_a_group(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    raw = fake.remove_bot(SUPERGROUP, left=True)
    check_value(raw, ["Update"], "update")
    update = Update.de_json(raw, tg)
    assert update.my_chat_member is not None
    assert type(update.my_chat_member.new_chat_member) is ChatMemberLeft
    assert update.my_chat_member.from_user.id == BOT_USER["id"]
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await tg.send_message(SUPERGROUP, "cảnh báo")


# --- a group upgraded to a supergroup ----------------------------------------------------------------------
async def test_a_migrated_group_raises_chat_migrated_with_the_new_id(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    await tg.send_message(GROUP, "trước khi nâng cấp")
    new_id = fake.migrate(GROUP)
    assert str(new_id).startswith("-100") and len(str(new_id)) == 14
    with pytest.raises(ChatMigrated) as moved:
        await tg.send_message(GROUP, "cảnh báo")
    assert moved.value.new_chat_id == new_id
    assert fake.calls[-1].error == "Bad Request: group chat was upgraded to a supergroup chat"
    assert await raw(fake, "sendMessage", chat_id=GROUP, text="cảnh báo") == (400, {
        "ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id}})
    with pytest.raises(ChatMigrated):
        await tg.get_chat_member(GROUP, ADMIN)
    # The supergroup: same title and people.
    sent = await tg.send_message(new_id, "cảnh báo")
    assert (sent.chat.id, sent.chat.type, sent.chat.title) == (new_id, "supergroup", "Tổ dân phố 3")
    assert type(await tg.get_chat_member(new_id, ADMIN)) is ChatMemberAdministrator
    assert type(await tg.get_chat_member(new_id, OWNER)) is ChatMemberOwner
    assert type(await tg.get_chat_member(new_id, MEMBER)) is ChatMemberMember


async def test_a_migration_pushes_the_two_service_messages(fake: FakeBotApi, tg: Bot) -> None:
    add_groups(fake)
    new_id = fake.migrate(GROUP)
    for raw in fake.pending_updates():
        check_value(raw, ["Update"], "update")
    upgraded, arrived = await tg.get_updates(timeout=0)
    assert upgraded.message is not None and arrived.message is not None
    assert upgraded.message.migrate_to_chat_id == new_id
    assert (upgraded.message.chat.id, upgraded.message.chat.type) == (GROUP, "group")
    assert upgraded.message.from_user is not None and upgraded.message.from_user.id == OWNER
    assert arrived.message.migrate_from_chat_id == GROUP
    assert (arrived.message.chat.id, arrived.message.chat.type) == (new_id, "supergroup")
    assert arrived.message.chat.title == "Tổ dân phố 3"
    assert arrived.message.sender_chat is not None and arrived.message.sender_chat.id == new_id
    assert arrived.message.from_user is not None and arrived.message.from_user.id == GROUP_ANONYMOUS_BOT["id"]


async def test_each_migration_gets_its_own_id_and_only_groups_migrate(fake: FakeBotApi) -> None:
    fake.add_group(-11)
    fake.add_group(-12)
    first, second = fake.migrate(-11), fake.migrate(-12)
    assert first != second and first < -(10**12) and second < -(10**12)
    assert fake.migrate(-13, new_id=-1009876543210) == -1009876543210  # never added: taken for a group
    assert fake.groups[-1009876543210].kind == "supergroup"
    with pytest.raises(ValueError):
        fake.migrate(-11)  # once
    with pytest.raises(ValueError):
        fake.migrate(first)  # a supergroup
