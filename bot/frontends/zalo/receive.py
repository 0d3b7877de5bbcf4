"""Receiving Zalo Bot Platform updates, as the platform behaves: long polling or a webhook (never both).

What shapes this module (see the team's notes on the platform):
- An update is `{"event_name": "message.text.received", "message": {"from", "chat", "message_id", "date", …}}`.
  It has no update id; `message.message_id` is the only key to dedupe on.
- getUpdates answers one update per call and takes no offset: nothing acknowledges an update, and consumed
  updates have been measured coming back on later polls, answered at once while the queue is non-empty. So
  the poll loop skips what `Seen` has seen and keeps `min_interval` (1 s) between polls, replays or not.
- An idle long poll ends with HTTP 408, the normal "nothing came".
- Webhook bodies come wrapped `{"ok": true, "result": {…}}` (the docs) or flat `{"event_name": …}` (observed);
  both are accepted. Deliveries may be repeated: the same message_id is handled once.
- Every delivery carries `X-Bot-Api-Secret-Token`, the secret given to setWebhook; it is compared in constant
  time and a mismatch gets a 403 with nothing done.

Events reach `on_event` in order within a chat (polling: all in order, one at a time; webhook: one at a time per
chat, chats concurrently). An exception in `on_event` is logged and ends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from bot.frontends.delivery import Backoff
from bot.frontends.zalo.client import Sleep, ZaloClient, ZaloError, ZaloTransient, ZaloWebhookActive, check_secret

log = logging.getLogger(__name__)

TEXT: Final = "message.text.received"
IMAGE: Final = "message.image.received"
STICKER: Final = "message.sticker.received"
UNSUPPORTED: Final = "message.unsupported.received"  # e.g. a sender in a protected group: no content at all
SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"

OnEvent = Callable[["ZaloEvent"], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True)
class ZaloEvent:
    """One incoming message, platform-neutral enough for the command layer. Ids are opaque strings.

    `chat_id` is where to reply (in a private chat it equals `sender_id`; in a group it is the group's id).
    `text` is set for text messages only; an image's caption is `caption`. `date` is epoch milliseconds.
    `raw` is the update as it came (after unwrapping), for whatever this class does not pick out."""

    event_name: str
    message_id: str
    chat_id: str
    chat_type: str  # "PRIVATE" or "GROUP", as the platform names them
    sender_id: str
    sender_name: str | None
    is_bot: bool
    text: str | None
    date: int | None = None
    message_type: str | None = None  # "CHAT_MESSAGE", "CHAT_PHOTO", … where sent
    photo_url: str | None = None  # an image's URL: `photo_url` as measured, else `photo` as documented
    caption: str | None = None
    sticker: str | None = None  # a sticker's id
    sticker_url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        """"text", "image", "sticker", "unsupported", or the event name's middle part for others
        (e.g. "voice", which some report and the docs do not list)."""
        parts = self.event_name.split(".")
        return parts[1] if len(parts) == 3 and parts[0] == "message" else self.event_name

    @property
    def private(self) -> bool:
        return self.chat_type == "PRIVATE"


def unwrap(payload: object) -> object:
    """The update inside a webhook body or getUpdates result: `{"ok": true, "result": {…}}` or the update."""
    if isinstance(payload, dict) and isinstance(payload.get("result"), dict):
        return payload["result"]
    return payload


def parse_update(update: object) -> ZaloEvent | None:
    """A ZaloEvent from an update (wrapped or flat), or None when it is not a message we can reply to (no
    message, no message_id, no sender or no chat). Never raises."""
    try:
        return _parse(unwrap(update))
    except Exception:  # odd input must not end a loop or a webhook: log and drop
        log.warning("Zalo update not understood; dropped", exc_info=True)
        return None


def _parse(update: object) -> ZaloEvent | None:
    if not isinstance(update, dict):
        return None
    event_name = _str(update.get("event_name"))
    message = update.get("message")
    if event_name is None or not isinstance(message, dict):
        return None
    sender = message.get("from")
    chat = message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict):
        return None
    message_id, sender_id, chat_id = _id(message.get("message_id")), _id(sender.get("id")), _id(chat.get("id"))
    if message_id is None or sender_id is None or chat_id is None:
        return None
    chat_type = _str(chat.get("chat_type"))
    if chat_type is None:  # not seen in the wild; a chat that is its sender is a private one
        chat_type = "PRIVATE" if chat_id == sender_id else "GROUP"
    date = message.get("date")
    text = _str(message.get("text")) if event_name == TEXT else None
    return ZaloEvent(
        event_name=event_name, message_id=message_id, chat_id=chat_id, chat_type=chat_type.upper(),
        sender_id=sender_id, sender_name=_str(sender.get("display_name")), is_bot=sender.get("is_bot") is True,
        text=text, date=date if isinstance(date, int) and not isinstance(date, bool) else None,
        message_type=_str(message.get("message_type")),
        photo_url=_str(message.get("photo_url")) or _str(message.get("photo")),
        caption=_str(message.get("caption")), sticker=_str(message.get("sticker")),
        sticker_url=_str(message.get("url")), raw=update)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _id(value: object) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):  # not seen, but an id all the same
        return str(value)
    return None


# --- de-duplication -----------------------------------------------------------------------------------------
class Seen(Protocol):
    async def first_time(self, message_id: str) -> bool:
        """True the first time `message_id` is offered, False after (within the implementation's memory)."""
        ...


class MemorySeen:
    """Seen in memory, bounded: remembers the last `size` message ids (for tests and single-process dev)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    async def first_time(self, message_id: str) -> bool:
        if message_id in self._ids:
            self._ids.move_to_end(message_id)
            return False
        self._ids[message_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


# --- health -------------------------------------------------------------------------------------------------
@dataclass
class Health:
    """What a /healthz endpoint reports: how updates arrive, and when Zalo last answered a poll (an idle 408
    included) or last called the webhook (wall-clock seconds). `last_error`: the latest failed poll's reason,
    cleared by the next success."""

    mode: str | None = None  # "polling" or "webhook"
    last_ok: float | None = None
    last_error: str | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def ok(self, mode: str) -> None:
        self.mode = mode
        self.last_ok = self.clock()
        self.last_error = None

    def failed(self, reason: str) -> None:
        self.last_error = reason

    def age(self) -> float | None:
        """Seconds since the last success, None before the first."""
        return None if self.last_ok is None else max(0.0, self.clock() - self.last_ok)

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "last_ok": self.last_ok, "age": self.age(), "last_error": self.last_error}


# --- long polling -------------------------------------------------------------------------------------------
POLL_BACKOFF: Final = Backoff(first=1.0, factor=2.0, cap=30.0)


class _Stopped(Exception):
    pass


async def poll(client: ZaloClient, on_event: OnEvent, seen: Seen, stop: asyncio.Event, health: Health, *,
               timeout: int = 30,  # noqa: ASYNC109 (the long poll's length, sent to Zalo)
               min_interval: float = 1.0, backoff: Backoff = POLL_BACKOFF,
               sleep: Sleep | None = None, clock: Callable[[], float] = time.monotonic) -> None:
    """Receive by long polling until `stop` is set: deleteWebhook, then getUpdates(timeout) in a loop.

    - An idle 408 is an answer like any other: poll again.
    - Polls start at least `min_interval` seconds apart, so replays answered at once make no hot loop.
    - A failed poll (429, 5xx, no connection, another client error) waits per `backoff`, growing up to its cap,
      reset by the next success; the outage is logged once when it starts and once when it ends.
    - Fatal, raised: 401 (the token was reset or is wrong) and ZaloWebhookActive (someone set a webhook while
      we poll: another deployment receives, and taking its messages would be wrong).
    - Each update is parsed, skipped if `seen` has seen its message_id, and handed to `on_event`, awaited
      before the next poll (so in order). Its exceptions are logged.
    `sleep` replaces the waits (tests); by default they end early when `stop` is set. Setting `stop` also
    cancels a long poll in progress."""

    async def pause(seconds: float) -> None:
        if seconds <= 0:
            return
        if sleep is not None:
            await sleep(seconds)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

    waits = backoff.waits()
    down_since: float | None = None
    while not stop.is_set():  # deleteWebhook first: getUpdates is refused while a webhook is set
        try:
            await _unless_stopped(client.delete_webhook(), stop)
            break
        except _Stopped:
            return
        except ZaloError as exc:
            if exc.code == 401:
                raise
            health.failed(str(exc))
            log.warning("Zalo deleteWebhook failed (%s); trying again", exc)
            await pause(next(waits))
    waits = backoff.waits()
    health.mode = "polling"
    last_start: float | None = None
    while not stop.is_set():
        if last_start is not None:
            await pause(min_interval - (clock() - last_start))
            if stop.is_set():
                break
        last_start = clock()
        try:
            updates = await _unless_stopped(client.get_updates(timeout), stop)
        except _Stopped:
            break
        except ZaloWebhookActive:
            log.error("Zalo refuses getUpdates: a webhook was set while polling; polling stops")
            raise
        except ZaloError as exc:
            if exc.code == 401:
                log.error("Zalo refuses the bot token (401); polling stops")
                raise
            health.failed(str(exc))
            if down_since is None:
                down_since = clock()
                level = logging.WARNING if isinstance(exc, ZaloTransient) else logging.ERROR
                log.log(level, "Zalo getUpdates failing: %s; backing off", exc)
            await pause(next(waits))
            continue
        if down_since is not None:
            log.info("Zalo getUpdates answering again after %.1f s", clock() - down_since)
            down_since = None
        waits = backoff.waits()
        health.ok("polling")
        for update in updates:
            await _handle(update, on_event, seen)


async def _unless_stopped(coro: Coroutine[Any, Any, T], stop: asyncio.Event) -> T:
    """`coro`'s result, or _Stopped as soon as `stop` is set (`coro` is then cancelled)."""
    task = asyncio.ensure_future(coro)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task.cancelled():
        raise _Stopped
    return task.result()


async def _handle(update: object, on_event: OnEvent, seen: Seen) -> None:
    event = parse_update(update)
    if event is None:
        log.debug("Zalo update without a message to answer; skipped")
        return
    try:
        if not await seen.first_time(event.message_id):
            log.debug("Zalo message %s seen before; skipped", event.message_id)
            return
        await on_event(event)
    except Exception:
        log.exception("Zalo event %s (%s) failed", event.message_id, event.event_name)


# --- webhook ------------------------------------------------------------------------------------------------
class WebhookHandler:
    """The aiohttp handler of Zalo's webhook deliveries. Register it with `handler.route(app, path)` (which also
    drains on shutdown) or `app.router.add_post(path, handler.handle)`."""

    def __init__(self, secret: str, on_event: OnEvent, seen: Seen, health: Health) -> None:
        self._secret = check_secret(secret).encode()
        self._on_event = on_event
        self._seen = seen
        self._health = health
        self._tasks: set[asyncio.Task[None]] = set()
        self._chats: dict[str, tuple[asyncio.Lock, int]] = {}  # chat_id → (its lock, events holding it)

    def __repr__(self) -> str:
        return f"WebhookHandler(pending={len(self._tasks)})"

    @property
    def pending(self) -> int:
        """Deliveries accepted and not yet handled."""
        return len(self._tasks)

    def route(self, app: web.Application, path: str) -> None:
        app.router.add_post(path, self.handle)

        async def on_shutdown(app: web.Application) -> None:
            await self.drain(grace=10.0)

        app.on_shutdown.append(on_shutdown)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            log.warning("Zalo webhook: a request with %s secret token was refused",
                        "a wrong" if given else "no")
            return web.json_response({"message": "Forbidden"}, status=403)
        try:
            payload = json.loads(await request.read())
        except ValueError:  # UnicodeDecodeError included
            return web.json_response({"message": "Malformed JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"message": "Expected a JSON object"}, status=400)
        self._health.ok("webhook")
        event = parse_update(payload)
        if event is None:
            log.debug("Zalo webhook delivery without a message to answer; acknowledged")
        else:
            task = asyncio.create_task(self._process(event), name=f"zalo-event-{event.message_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"message": "Success"})

    async def _process(self, event: ZaloEvent) -> None:
        try:
            if not await self._seen.first_time(event.message_id):
                log.debug("Zalo message %s delivered again; skipped", event.message_id)
                return
        except Exception:
            log.exception("Zalo event %s: de-duplication failed; dropped", event.message_id)
            return
        lock, holders = self._chats.get(event.chat_id, (asyncio.Lock(), 0))
        self._chats[event.chat_id] = (lock, holders + 1)
        try:
            async with lock:
                await self._on_event(event)
        except Exception:
            log.exception("Zalo event %s (%s) failed", event.message_id, event.event_name)
        finally:
            lock, holders = self._chats[event.chat_id]
            if holders <= 1:
                del self._chats[event.chat_id]
            else:
                self._chats[event.chat_id] = (lock, holders - 1)

    async def drain(self, grace: float | None = None) -> None:
        """Wait for the deliveries accepted so far to be handled; after `grace` seconds, cancel the rest."""
        while self._tasks:
            tasks = set(self._tasks)
            _, late = await asyncio.wait(tasks, timeout=grace)
            if late:
                log.warning("Zalo webhook: %d event(s) still being handled at shutdown; cancelled", len(late))
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
                return


def webhook_handler(secret: str, on_event: OnEvent, seen: Seen, health: Health) -> WebhookHandler:
    """The handler of Zalo's webhook: 403 unless X-Bot-Api-Secret-Token is `secret`; 400 for a body that is
    not a JSON object; else 200 at once, the update handled in a background task (once per message_id).
    ValueError if `secret` is not one setWebhook would take."""
    return WebhookHandler(secret, on_event, seen, health)


async def start_webhook(client: ZaloClient, url: str, secret: str) -> dict[str, Any]:
    """setWebhook(url, secret): {"url", "updated_at"}. ValueError before any call when the secret is not
    8–256 printable ASCII characters, or the URL is not HTTPS (plain http is allowed to loopback hosts only,
    for tests)."""
    check_secret(secret)
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError("the webhook URL must be an absolute https:// URL (Zalo calls HTTPS only)")
    return await client.set_webhook(url, secret)
