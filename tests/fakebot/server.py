"""A fake Telegram Bot API server on 127.0.0.1, speaking real HTTP to the real python-telegram-bot client.

It keeps chats' messages, uploaded files and pending queries like Telegram does, refuses calls Telegram would
refuse (see spec.py), and records every call, with the time it landed (`Call.at`), for assertions.

Telegram's own rules:
- flood limits (on unless `flood_limits=False`, which only benchmarks pass): a send that would make more than
  30 messages in any sliding second (all chats together), or more than 20 in any sliding minute to one group or
  supergroup, is refused with a 429 "Too Many Requests: retry after N", N the whole seconds until it would fit
  (an album counts as one message per item; only successful sends count). `max_sends_per_second()`,
  `max_sends_per_minute(chat)` and `sends_to(chat)` read the call log back. Time is the injectable `clock`
  (time.monotonic), so a test can cross a 60 s window without waiting for it;
- groups: `add_group(...)` gives a chat its type, title, creator, administrators and members; messages there
  carry them, and getChat, getChatMember and getChatAdministrators answer from them (a chat never added keeps
  the old guess: a negative id is a supergroup called "Group"; getChat… on it is "chat not found").

Events, caused explicitly by tests (each pushes the update Telegram would send):
- `remove_bot(chat, by_user=…, left=…)`: the bot is kicked from (or has left) a group, or blocked by a user;
  every later send there is refused with Telegram's 403, and a `my_chat_member` update is pushed;
- `migrate(chat, new_id=…)`: a group is upgraded to a supergroup under a new id; calls to the old id are refused
  with 400 and `migrate_to_chat_id`, and the two service messages (migrate_to/migrate_from) are pushed.

Faults, injected explicitly by tests:
- `fail_next(method, code, times=…, retry_after=…)`: the next call(s) to `method` get an error (429, 500, 502…);
- `hang_next(method, seconds)`: the next call to `method` is answered, and its message delivered, only after
  `seconds` (long after a short client read timeout, say);
- `hold_sends(after=…)` / `release_sends()`: every send past the next `after` waits unanswered until released,
  then lands whether or not its client still waits (a bot killed mid-send);
- `stop()` then `start()`: the server goes away (connections refused) and comes back on the same port, with
  its state (calls, chats, files, pending updates) kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import web

from tests.fakebot.spec import ApiError, check_call, check_photo, decode_field

ALBUM = "album#"  # files[ALBUM + i]: the upload of an album's item i
BOT_USER: dict[str, Any] = {"id": 7000000001, "is_bot": True, "first_name": "Kênh Chính Thức",
                            "username": "KenhChinhThucBot", "can_join_groups": True,
                            "can_read_all_group_messages": False, "supports_inline_queries": True}
# Who a supergroup's own service messages (migrate_from_chat_id) come from, with the supergroup as sender_chat.
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
# Who acts in a group when a test names nobody and the group has no creator or administrator to stand in.
SOME_ADMIN = 1000000001

# The calls that send messages: what the flood limits count, and what sends_to() returns.
SENDS = frozenset({"sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", "copyMessage", "forwardMessage"})
PER_SECOND = 30  # messages in any sliding second, all chats together
PER_GROUP_MINUTE = 20  # messages in any sliding minute to one group or supergroup
# The rights a ChatMemberAdministrator must state (all required booleans of the spec's type but two, below).
ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories")

ChatKind = Literal["group", "supergroup"]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it landed, on the server's clock

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def messages(self) -> int:
        """How many messages this call sends: an album's items, 1 for another send, 0 for anything else."""
        return message_count(self.method, self.params)


@dataclass
class Group:
    """A group or supergroup as Telegram knows it: who created it, who administers it, who is in it. The bot is
    a member (an administrator if its id is in `admins`)."""

    id: int
    title: str
    kind: ChatKind
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    creator: int | None = None

    def actor(self) -> int:
        """Who does something in the group when a test names nobody: its creator, else an administrator."""
        if self.creator is not None:
            return self.creator
        humans = sorted(self.admins - {BOT_USER["id"]})
        return humans[0] if humans else SOME_ADMIN


def message_count(method: str, params: dict[str, Any]) -> int:
    if method not in SENDS:
        return 0
    media = params.get("media")
    return len(media) if method == "sendMediaGroup" and isinstance(media, list) else 1


def int_chat(value: Any) -> int | None:
    """A chat_id as a number; None for none or an @username."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def user(user_id: int) -> dict[str, Any]:
    """The User object of a test's user (the bot: BOT_USER)."""
    if user_id == BOT_USER["id"]:
        return BOT_USER
    return {"id": user_id, "is_bot": False, "first_name": "User"}


def _posts(method: str) -> bool:
    """Whether `method` puts something into the chat it names: what a bot out of that chat may no longer do."""
    return method.startswith(("send", "copyMessage", "forwardMessage", "editMessage"))


def _window_wait(times: Iterable[float], now: float, window: float, limit: int, count: int) -> float:
    """0 if `count` more messages at `now` keep the sliding `window` (now - window, now] within `limit`; else the
    seconds until enough of the messages already in it have left it."""
    recent = sorted(t for t in times if now - window < t <= now)
    excess = len(recent) + count - limit
    if excess <= 0:
        return 0.0
    if excess > len(recent):
        return window  # more than the limit in one call: never; say "the whole window"
    return recent[excess - 1] + window - now


def max_in_window(calls: Iterable[Call], window: float) -> int:
    """The most messages `calls` sent within any sliding `window` seconds."""
    ordered = sorted(calls, key=lambda c: c.at)
    best = total = start = 0
    for call in ordered:
        total += call.messages
        while ordered[start].at <= call.at - window:
            total -= ordered[start].messages
            start += 1
        best = max(best, total)
    return best


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz", latency: float = 0.0,
                 *, check: bool = True, record: bool = True, port: int = 0, flood_limits: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.latency = latency  # added to every call but getUpdates: a round trip to Telegram
        self.check = check  # benchmarks may skip the spec checks to measure the bot, not the fake
        self.record = record
        self.flood_limits = flood_limits  # benchmarks measure throughput, past what Telegram would take
        self.clock = clock  # Call.at and the flood windows; a test may pass a clock it moves itself
        # Every message successfully sent (an album: one per item), by the time it landed (its Call.at, so that
        # the limits and max_sends_per_…() agree), for the flood windows. Kept apart from `calls`: the limits
        # hold with record=False too.
        self._sent: deque[float] = deque()
        self._sent_to_group: dict[int, deque[float]] = {}
        self.groups: dict[int, Group] = {}
        self._removed: dict[int, str] = {}  # chat_id → the 403 description its sends get
        self._migrated: dict[int, int] = {}  # old group id → its supergroup's id
        self._supergroup_ids = itertools.count(2_000_000_001)  # -100 followed by these: new supergroups' ids
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.photo_sizes: dict[str, tuple[int, int]] = {}  # file_id → (width, height) as uploaded
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._call_event = asyncio.Event()
        self._open_queries: set[str] = set()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._failures: list[tuple[str, ApiError]] = []
        self._hangs: list[tuple[str, float]] = []
        self._hold_after: int | None = None  # hold_sends(): sends still let through before the hold
        self._released = asyncio.Event()
        self.held = 0  # sends waiting in a hold
        self.served_update_id = 0  # the highest update_id getUpdates has handed out
        self.webhook: dict[str, Any] | None = None  # what setWebhook registered
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = port

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen (again, after stop(): on the same port, with the same state)."""
        self._closing = False
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Go away like a crashed server: stop listening (new connections are refused), answer the long polls
        in progress, give other calls in progress 0.1 s, then drop their connections. State is kept."""
        self._closing = True
        self._new_update.set()  # wake long polls, or cleanup waits for them
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.stop()

    def add_routes(self, app: web.Application) -> None:
        """Hook for subclasses (the benchmark's control endpoints)."""

    def on_result(self, method: str, params: dict[str, Any]) -> None:
        """Hook for subclasses: called after every successful call."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what tests do -----------------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        if "callback_query" in update:
            self._open_queries.add(update["callback_query"]["id"])
        if "inline_query" in update:
            self._open_queries.add(update["inline_query"]["id"])
        self._updates.append(update)
        self._new_update.set()
        return update

    def open_query(self, query_id: str) -> None:
        """Register a callback/inline query id for an update a test feeds directly to the Application."""
        self._open_queries.add(query_id)

    def fail_next(self, method: str, code: int = 429, retry_after: float = 1, description: str = "", *,
                  times: int = 1) -> None:
        """The next `times` calls to `method` fail with `code` (a 429 carries `retry_after`), unrecorded as
        delivered. Descriptions are Telegram's: "Too Many Requests: retry after N", "Bad Request", or the
        HTTP status's phrase for a 5xx."""
        if not description:
            if code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif code >= 500:
                description = HTTPStatus(code).phrase
            else:
                description = "Bad Request"
        for _ in range(times):
            self._failures.append((method, ApiError(description, code, retry_after if code == 429 else None)))

    def hang_next(self, method: str, seconds: float) -> None:
        """The next call to `method` is answered only after `seconds`; it is recorded (and its message
        delivered) then, whether or not the client is still waiting for the answer."""
        self._hangs.append((method, seconds))

    def hold_sends(self, after: int = 0) -> None:
        """After `after` more sends, every send is held unanswered (its connection open, nothing recorded yet)
        until release_sends(); then each lands and is recorded whether or not its client is still waiting — as
        Telegram acts on a request it received even if the bot died waiting for the answer."""
        self._hold_after = after
        self._released.clear()

    def release_sends(self) -> None:
        self._hold_after = None
        self._released.set()

    def delivered(self, chat_id: int) -> list[Call]:
        """What the user in `chat_id` sees: the messages, photos and documents successfully sent there."""
        return self.calls_to("sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", chat_id=chat_id)

    def calls_to(self, *methods: str, chat_id: int | None = None, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method in methods and (chat_id is None or c.chat_id == chat_id)
                and (c.error is None) == ok]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], within: float = 5.0) -> None:
        """Wait (on events, not sleeps) until the recorded calls satisfy `predicate`."""
        await self.wait_until(lambda: predicate(self.calls), within)

    async def wait_until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Wait (on events, not sleeps) until `condition()` holds; it is re-checked after every call."""
        try:
            async with asyncio.timeout(within):
                while not condition():
                    self._call_event.clear()
                    await self._call_event.wait()
        except TimeoutError:
            raise TimeoutError(f"fake Bot API: condition not met; calls: {[c.method for c in self.calls]}") from None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._messages.get((chat_id, message_id))

    def pending_updates(self) -> list[dict[str, Any]]:
        """The updates pushed and not yet confirmed by a getUpdates offset (for tests that feed them by hand)."""
        return list(self._updates)

    # --- flood limits, read back from the call log -----------------------------------------------------------
    def sends_to(self, chat_id: int) -> list[Call]:
        """The successful sends (SENDS) to `chat_id`, in the order they landed."""
        return self.calls_to(*SENDS, chat_id=chat_id)

    def max_sends_per_second(self) -> int:
        """The most messages successfully sent, all chats together, within any sliding second."""
        return max_in_window(self.calls_to(*SENDS), 1.0)

    def max_sends_per_minute(self, chat_id: int) -> int:
        """The most messages successfully sent to `chat_id` within any sliding minute."""
        return max_in_window(self.sends_to(chat_id), 60.0)

    # --- groups, and what happens to them ------------------------------------------------------------------
    def add_group(self, chat_id: int, *, title: str = "Group", kind: ChatKind = "group", admins: Iterable[int] = (),
                  members: Iterable[int] = (), creator: int | None = None) -> Group:
        """Make `chat_id` a group (or supergroup) the bot is in. Adding it again replaces it, and lets the bot
        back in if it had been removed."""
        if chat_id >= 0:
            raise ValueError(f"a group's id is negative, not {chat_id}")
        if kind not in ("group", "supergroup"):
            raise ValueError(f"a group is a 'group' or a 'supergroup', not {kind!r}")
        group = Group(chat_id, title, kind, set(admins), set(members), creator)
        self.groups[chat_id] = group
        self._removed.pop(chat_id, None)
        self._migrated.pop(chat_id, None)
        return group

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The Chat object Telegram puts into messages and updates for `chat_id`."""
        group = self.groups.get(chat_id)
        if group is not None:
            return {"id": chat_id, "type": group.kind, "title": group.title}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}  # never added: the old guess

    def member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """The ChatMember getChatMember answers for `user_id` in the group `chat_id` (KeyError: no such group)."""
        return self._member(self.groups[chat_id], user_id)

    def remove_bot(self, chat_id: int, by_user: int | None = None, *, left: bool = False,
                   push: bool = True) -> dict[str, Any]:
        """The bot is out of `chat_id`: kicked from a group by `by_user` (its creator or an administrator if
        None), or, `left`, no longer a member (it left: from the bot itself unless `by_user`); or blocked by the
        user of a private chat. Every later send there is refused with Telegram's 403. Returns the
        `my_chat_member` update Telegram sends about it, also pushed to getUpdates unless not `push`."""
        chat = self.chat(chat_id)
        group = self.groups.get(chat_id)
        if chat_id > 0:
            if left:
                raise ValueError("a user blocks the bot in a private chat: there is nothing to leave")
            actor = user(chat_id if by_user is None else by_user)
            self._removed[chat_id] = "Forbidden: bot was blocked by the user"
        else:
            noun = f"{chat['type']} chat"
            if left:
                actor = BOT_USER if by_user is None else user(by_user)
                self._removed[chat_id] = f"Forbidden: bot is not a member of the {noun}"
            else:
                if by_user is None:
                    by_user = group.actor() if group else SOME_ADMIN
                actor = user(by_user)
                self._removed[chat_id] = f"Forbidden: bot was kicked from the {noun}"
        old = self._member(group, BOT_USER["id"]) if group else {"status": "member", "user": BOT_USER}
        new = {"status": "left", "user": BOT_USER} if left else {"status": "kicked", "user": BOT_USER, "until_date": 0}
        update = {"my_chat_member": {"chat": chat, "from": actor, "date": int(time.time()),
                                     "old_chat_member": old, "new_chat_member": new}}
        return self.push_update(update) if push else update

    def migrate(self, chat_id: int, new_id: int | None = None) -> int:
        """Upgrade the group `chat_id` to a supergroup, as Telegram does when a group gets a public link or too
        many members: the supergroup has a new id (`new_id`, else a fresh -100… one) and the group's title and
        people; calls to the old id are refused with 400 and `migrate_to_chat_id`. Pushes the two service
        messages Telegram sends: migrate_to_chat_id in the old chat (from whoever upgraded it), then
        migrate_from_chat_id in the new one (from the supergroup itself). A chat never added is taken for a
        group called "Group". Returns the new id."""
        group = self.groups.get(chat_id) or self.add_group(chat_id)
        if chat_id in self._migrated:
            raise ValueError(f"{chat_id} was already upgraded to {self._migrated[chat_id]}")
        if group.kind != "group":
            raise ValueError(f"only a group is upgraded to a supergroup; {chat_id} is a {group.kind}")
        if new_id is None:
            new_id = next(i for i in (-(10**12) - n for n in self._supergroup_ids) if i not in self.groups)
        if new_id in self.groups or new_id >= 0:
            raise ValueError(f"{new_id} cannot be the new supergroup's id")
        self.groups[new_id] = Group(new_id, group.title, "supergroup", set(group.admins), set(group.members),
                                    group.creator)
        self._migrated[chat_id] = new_id
        date = int(time.time())
        upgraded = self._keep({"message_id": next(self._message_ids), "date": date, "chat": self.chat(chat_id),
                               "from": user(group.actor()), "migrate_to_chat_id": new_id})
        arrived = self._keep({"message_id": next(self._message_ids), "date": date, "chat": self.chat(new_id),
                              "from": GROUP_ANONYMOUS_BOT, "sender_chat": self.chat(new_id),
                              "migrate_from_chat_id": chat_id})
        self.push_update({"message": upgraded})
        self.push_update({"message": arrived})
        return new_id

    # --- HTTP --------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params, files = await self._decode(request, method)
        for i, (hanging, seconds) in enumerate(self._hangs):
            if hanging == method:
                del self._hangs[i]
                await asyncio.sleep(seconds)  # the call lands (and is recorded) only now
                break
        arrived = self.clock()
        if method in SENDS and self._hold_after is not None:
            if self._hold_after > 0:
                self._hold_after -= 1
            else:
                self.held += 1
                self._call_event.set()
                await self._released.wait()
                self.held -= 1
        # A held send counts (flood limits included) from when it arrived: Telegram had it then.
        call = Call(method, params, files, at=arrived)
        if method != "getUpdates" and self.record:
            self.calls.append(call)
        try:
            if self.latency and method != "getUpdates":
                await asyncio.sleep(self.latency)
            for i, (failing, error) in enumerate(self._failures):
                if failing == method:
                    del self._failures[i]
                    raise error
            if self.check:
                check_call(method, {**params, **{k: v for k, v in files.items() if not k.startswith(ALBUM)}})
            chat_id = int_chat(params.get("chat_id"))
            self._refuse_if_out(method, chat_id)
            count = message_count(method, params)
            if count and self.flood_limits:
                self._refuse_if_flooding(chat_id, count, call.at)
            result = await getattr(self, f"_m_{method}", self._m_default)(params, files)
            if count:
                self._count_sent(chat_id, count, call.at)
            self.on_result(method, params)
        except ApiError as exc:
            call.error = exc.description
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.response_parameters is not None:
                body["parameters"] = exc.response_parameters
            return web.json_response(body, status=exc.code)
        finally:
            self._call_event.set()
        return web.json_response({"ok": True, "result": result})

    def _refuse_if_out(self, method: str, chat_id: int | None) -> None:
        """Refuse, as Telegram does, a call into a chat that was upgraded to a supergroup (any call naming it), or
        that the bot is out of (what posts there; in a group, asking about it too)."""
        if chat_id is None:
            return
        if chat_id in self._migrated:
            raise ApiError("Bad Request: group chat was upgraded to a supergroup chat",
                           parameters={"migrate_to_chat_id": self._migrated[chat_id]})
        removed = self._removed.get(chat_id)
        if removed is not None and (_posts(method) or chat_id < 0):
            raise ApiError(removed, 403)

    def _refuse_if_flooding(self, chat_id: int | None, count: int, now: float) -> None:
        """Refuse `count` messages landing at `now` if they would break a flood limit, with the whole seconds
        (≥ 1) until they would not."""
        wait = _window_wait(self._sent, now, 1.0, PER_SECOND, count)
        if chat_id is not None and chat_id < 0:
            wait = max(wait, _window_wait(self._sent_to_group.get(chat_id, ()), now, 60.0, PER_GROUP_MINUTE, count))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(f"Too Many Requests: retry after {seconds}", 429, seconds)

    def _count_sent(self, chat_id: int | None, count: int, now: float) -> None:
        windows = [(self._sent, 1.0)]
        if chat_id is not None and chat_id < 0:
            windows.append((self._sent_to_group.setdefault(chat_id, deque()), 60.0))
        for times, window in windows:
            times.extend([now] * count)
            while times and times[0] <= now - window:
                times.popleft()

    async def _decode(self, request: web.Request, method: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    files[part.name] = bytes(await part.read())
                else:
                    params[part.name] = decode_field(method, part.name, await part.text())
        elif request.content_type == "application/json":
            params = await request.json() if request.can_read_body else {}
        else:
            form = await request.post()
            params = {k: decode_field(method, k, str(v)) for k, v in form.items()}
        # Uploaded files are referenced as attach://name from the field that carries them.
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                files[key] = files.pop(value[9:])
                del params[key]
        # …or from an album's items: kept as files["album#<i>"], the item's media left as it came.
        media = params.get("media")
        if method.lower() == "sendmediagroup" and isinstance(media, list):
            for i, item in enumerate(media):
                ref = item.get("media") if isinstance(item, dict) else None
                if isinstance(ref, str) and ref.startswith("attach://") and ref[9:] in files:
                    files[f"{ALBUM}{i}"] = files.pop(ref[9:])
        return params, files

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # --- methods -----------------------------------------------------------------------------------------
    async def _m_default(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, 5))
        limit = int(params.get("limit") or 100)
        served = self._updates[:limit]
        if served:
            self.served_update_id = max(self.served_update_id, served[-1]["update_id"])
        return served

    def _store_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        return self._keep({"message_id": next(self._message_ids), "date": int(time.time()), "chat": self.chat(chat_id),
                           "from": BOT_USER, **extra})

    def _keep(self, message: dict[str, Any]) -> dict[str, Any]:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any]:
        return {"reply_markup": params["reply_markup"]} if "reply_markup" in params else {}

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._store_message(int(params["chat_id"]), {"text": params["text"], **self._markup(params)})

    def _photo(self, data: bytes | None, reference: Any) -> list[dict[str, Any]]:
        """A photo uploaded (checked as Telegram checks it, stored) or referenced by file_id: its PhotoSize list,
        the largest ≤ 1280 px on its longest side, as Telegram keeps it."""
        if data is not None:
            width, height = check_photo(data)
            file_id = "AgAD" + hashlib.sha256(data).hexdigest()[:40]
            self.files[file_id] = data
            self.photo_sizes[file_id] = (width, height)
        else:
            file_id = str(reference)
            if file_id not in self.files:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        width, height = self.photo_sizes.get(file_id, (1280, 1000))
        scale = min(1.0, 1280 / max(width, height))
        return [{"file_id": file_id, "file_unique_id": file_id[-16:], "width": round(width * scale),
                 "height": round(height * scale), "file_size": len(self.files[file_id])}]

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        photo = self._photo(files.get("photo"), params.get("photo"))
        extra = {"photo": photo, **self._markup(params)}
        if "caption" in params:
            extra["caption"] = params["caption"]
        return self._store_message(int(params["chat_id"]), extra)

    async def _m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        media = params["media"]
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError("Bad Request: wrong number of media specified; must be 2-10")
        photos = []
        for i, item in enumerate(media):
            if item.get("type") != "photo":
                raise ApiError("Bad Request: the fake Bot API takes albums of photos only")
            photos.append(self._photo(files.get(f"{ALBUM}{i}"), item.get("media")))
        group = str(next(self._message_ids))
        messages = []
        for item, photo in zip(media, photos, strict=True):
            extra: dict[str, Any] = {"photo": photo, "media_group_id": group}
            if "caption" in item:
                extra["caption"] = item["caption"]
            messages.append(self._store_message(int(params["chat_id"]), extra))
        return messages

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        data = files.get("document")
        if data is None:
            raise ApiError("Bad Request: there is no document in the request")
        file_id = "BQAD" + hashlib.sha256(data).hexdigest()[:40]
        self.files[file_id] = data
        doc = {"file_id": file_id, "file_unique_id": file_id[-16:], "file_size": len(data), "file_name": "file"}
        return self._store_message(int(params["chat_id"]), {"document": doc})

    def _source(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        chat_id = int_chat(params["from_chat_id"])
        source = self._messages.get((chat_id, int(params["message_id"]))) if chat_id is not None else None
        if source is None:
            raise ApiError(f"Bad Request: message to {what} not found")
        content = {k: v for k, v in source.items() if k in ("text", "entities", "photo", "document", "caption")}
        if not content:  # a service message (migrate_to_chat_id…)
            raise ApiError(f"Bad Request: message can't be {'copied' if what == 'copy' else 'forwarded'}")
        return content

    async def _m_copyMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        content = self._source(params, "copy")
        if "caption" in params and "text" not in content:
            content["caption"] = params["caption"]
        message = self._store_message(int(params["chat_id"]), {**content, **self._markup(params)})
        return {"message_id": message["message_id"]}

    async def _m_forwardMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        content = self._source(params, "forward")
        source = self._messages[(int(params["from_chat_id"]), int(params["message_id"]))]
        origin = {"type": "user", "date": source["date"], "sender_user": source["from"]}
        return self._store_message(int(params["chat_id"]), {**content, "forward_origin": origin})

    # --- chats and their members -------------------------------------------------------------------------
    def _group(self, params: dict[str, Any]) -> Group:
        group = self.groups.get(int_chat(params["chat_id"]) or 0)
        if group is None:
            raise ApiError("Bad Request: chat not found")
        return group

    @staticmethod
    def _member(group: Group, user_id: int) -> dict[str, Any]:
        """`user_id`'s ChatMember in `group`: owner, administrator, member, or left (not in the group)."""
        someone = user(user_id)
        if user_id == group.creator:
            return {"status": "creator", "user": someone, "is_anonymous": False}
        if user_id in group.admins:
            rights = dict.fromkeys(ADMIN_RIGHTS, True) | {"can_pin_messages": True}
            if group.kind == "supergroup":
                rights["can_manage_topics"] = True
            return {"status": "administrator", "user": someone, "can_be_edited": False, "is_anonymous": False,
                    **rights}
        if user_id in group.members or user_id == BOT_USER["id"]:
            return {"status": "member", "user": someone}
        return {"status": "left", "user": someone}

    async def _m_getChat(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = int_chat(params["chat_id"])
        if chat_id is None or (chat_id not in self.groups
                               and (chat_id < 0 or not any(c == chat_id for c, _ in self._messages))):
            raise ApiError("Bad Request: chat not found")  # a group never added, a user the bot never wrote to
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                               "gifts_from_channels"), False)
        return {**self.chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _m_getChatMember(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._member(self._group(params), int(params["user_id"]))

    async def _m_getChatAdministrators(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        group = self._group(params)
        admins = ([group.creator] if group.creator is not None else []) + sorted(group.admins - {group.creator})
        return [self._member(group, a) for a in admins]

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": file_id[-16:], "file_size": len(self.files[file_id]),
                "file_path": file_id}

    def _answer(self, query_id: str) -> None:
        if query_id not in self._open_queries:
            raise ApiError("Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._answer(str(params["callback_query_id"]))
        return True

    async def _m_answerInlineQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._answer(str(params["inline_query_id"]))
        for result in params["results"]:
            file_id = result.get("photo_file_id")
            if file_id is not None and file_id not in self.files:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        return True

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages.get((int(params.get("chat_id", 0)), int(params.get("message_id", 0))))
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        return message

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        if message.get("text") == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified: specified new message content and reply markup "
                           "are exactly the same as a current content and reply markup of the message")
        message.update(text=params["text"], **self._markup(params))
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified")
        message["reply_markup"] = params.get("reply_markup")
        if "reply_markup" not in params:
            del message["reply_markup"]
        return message

    async def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        message.update(caption=params.get("caption", ""), **self._markup(params))
        return message

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError("Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": params["url"], "secret_token": secret}
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = None
        return True


def decoded_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
