"""The Zalo Bot Platform transport (bot/frontends/zalo) against the fake Zalo API (tests/fakezalo), over real
HTTP on 127.0.0.1: the client's envelope checks, retries and token hygiene, long polling and the webhook."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import qrcode
from aiohttp import web

from bot.frontends.delivery import Backoff
from bot.frontends.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloTransient,
    ZaloWebhookActive,
)
from bot.frontends.zalo.receive import (
    Health,
    MemorySeen,
    ZaloEvent,
    parse_update,
    poll,
    start_webhook,
    webhook_handler,
)
from tests.conftest import decode_qr
from tests.fakezalo.server import GROUP_ID, USER_ID, FakeZaloApi

SECRET = "s3cr3t-For_the-Webhook-0123456789abcdef"


class Sleeps:
    """A sleep that records what it was asked to wait and yields once instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = FakeZaloApi(max_poll_wait=0.3)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(fake: FakeZaloApi, sleeps: Sleeps) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(fake.token, base_url=fake.client_base_url, sleep=sleeps, timeout=5,
                          backoff=Backoff(first=0.5, factor=2, cap=4, budget=60)) as zalo:
        yield zalo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the envelope ---------------------------------------------------------------------------------------------
async def test_ok_false_on_http_200_raises_and_is_not_retried(fake: FakeZaloApi, client: ZaloClient) -> None:
    fake.fail_next(400, method="sendMessage", http_status=200, description="Bad Request: user not found")
    with pytest.raises(ZaloError) as caught:
        await client.send_message(USER_ID, "xin chào")
    assert not isinstance(caught.value, ZaloTransient)
    assert caught.value.code == 400 and "user not found" in str(caught.value)
    assert len(fake.calls_to("sendMessage")) == 1
    assert fake.sent() == []


async def test_results_of_each_method(fake: FakeZaloApi, client: ZaloClient) -> None:
    me = await client.get_me()
    assert me["account_type"] == "BASIC" and isinstance(me["id"], str)
    sent = await client.send_message(USER_ID, "Kênh chính thức: https://example.gov.vn/kenh")
    assert len(sent["message_id"]) == 20
    await client.send_chat_action(USER_ID)  # its answer has no result (the client must not need one)
    assert fake.calls_to("sendChatAction", ok=True)[0].params == {"chat_id": USER_ID, "action": "typing"}
    assert await client.get_webhook_info() is None  # 404: none set
    await client.delete_webhook()  # fine with none set
    assert fake.sent(USER_ID)[0].text == "Kênh chính thức: https://example.gov.vn/kenh"


async def test_wrong_token_is_refused(fake: FakeZaloApi) -> None:
    async with ZaloClient("999:not-the-token", base_url=fake.client_base_url) as zalo:
        with pytest.raises(ZaloError) as caught:
            await zalo.get_me()
    assert caught.value.code == 401 and not isinstance(caught.value, ZaloTransient)
    assert "not-the-token" not in str(caught.value)


async def test_duplicate_server_headers_are_accepted(fake: FakeZaloApi, client: ZaloClient) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    writer.write(f"POST /bot{fake.token}/getMe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n".encode())
    head = (await reader.read()).split(b"\r\n\r\n")[0].decode().lower().split("\r\n")
    writer.close()
    assert sum(line.startswith("server:") for line in head) == 2  # the fake really sends two
    assert (await client.get_me())["account_name"] == "bot.KenhChinhThuc"


# --- retries --------------------------------------------------------------------------------------------------
async def test_429_and_5xx_are_retried_with_growing_waits(fake: FakeZaloApi, client: ZaloClient,
                                                          sleeps: Sleeps) -> None:
    fake.fail_next(429, method="sendMessage")
    fake.fail_next(502, method="sendMessage")
    fake.fail_next(503, method="sendMessage", http_status=200)  # a 5xx error_code in an HTTP 200
    await client.send_message(USER_ID, "một")
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 502, 200, 200]
    assert len(fake.sent()) == 1
    assert sleeps.waits == [0.5, 1.0, 2.0]


async def test_persistent_5xx_gives_up_after_bounded_attempts(fake: FakeZaloApi, client: ZaloClient,
                                                              sleeps: Sleeps) -> None:
    fake.fail_next(500, 10, method="sendMessage")
    with pytest.raises(ZaloTransient) as caught:
        await client.send_message(USER_ID, "một")
    assert caught.value.code == 500
    assert len(fake.calls_to("sendMessage")) == client.attempts == 4
    assert sleeps.waits == [0.5, 1.0, 2.0]


async def test_a_sent_message_that_timed_out_is_not_sent_again(fake: FakeZaloApi, sleeps: Sleeps) -> None:
    async with ZaloClient(fake.token, base_url=fake.client_base_url, sleep=sleeps, timeout=0.2) as zalo:
        fake.hang_next(0.5, method="sendMessage")
        with pytest.raises(ZaloTransient) as caught:
            await zalo.send_message(USER_ID, "một")
        assert caught.value.maybe_sent
        assert len(fake.calls_to("sendMessage")) == 1
        fake.hang_next(0.5, method="getMe")  # idempotent: retried
        await zalo.get_me()
        assert len(fake.calls_to("getMe")) == 2


# --- the token ------------------------------------------------------------------------------------------------
def assert_no_token(token: str, *texts: str) -> None:
    secret_part = token.split(":", 1)[1]
    for text in texts:
        assert token not in text and secret_part not in text, text


async def test_token_is_in_no_log_exception_or_repr(fake: FakeZaloApi, caplog: pytest.LogCaptureFixture,
                                                    sleeps: Sleeps) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    port = free_port()  # nothing listens there: connection refused
    async with ZaloClient(fake.token, base_url=f"http://127.0.0.1:{port}", sleep=sleeps) as zalo:
        texts.append(repr(zalo))
        with pytest.raises(ZaloTransient) as refused:
            await zalo.send_message(USER_ID, "một")
        assert len(sleeps.waits) == zalo.attempts - 1  # retried, then given up
        exc = refused.value
        assert exc.__cause__ is None and exc.__context__ is None  # aiohttp's exception is not kept
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    async with ZaloClient(fake.token, base_url=fake.client_base_url, timeout=0.2, sleep=sleeps) as zalo:
        fake.hang_next(0.5, method="sendMessage")
        with pytest.raises(ZaloTransient) as timed_out:
            await zalo.send_message(USER_ID, "hai")
        texts += [str(timed_out.value), "".join(traceback.format_exception(timed_out.value))]
        fake.fail_next(400, method="sendMessage", description=f"echoing /bot{fake.token}/sendMessage")
        with pytest.raises(ZaloError) as refused_by_zalo:
            await zalo.send_message(USER_ID, "ba")
        texts.append(str(refused_by_zalo.value))
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text]
    assert any("sendMessage" in text for text in texts)  # the texts say something…
    assert_no_token(fake.token, *texts)  # …but never the token


def test_a_malformed_token_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError) as caught:
        ZaloClient("12345:abc/def")
    assert "abc" not in str(caught.value)


# --- local limits ---------------------------------------------------------------------------------------------
async def test_text_limits_are_checked_before_sending(fake: FakeZaloApi, client: ZaloClient) -> None:
    for bad in ("", "x" * 2001):
        with pytest.raises(ValueError):
            await client.send_message(USER_ID, bad)
    with pytest.raises(ValueError):
        await client.send_photo(USER_ID, fake.host("a.png", b"\x89PNG\r\n\x1a\n"), caption="c" * 2001)
    assert fake.calls == []  # nothing went out
    await client.send_message(USER_ID, "ê" * 2000)
    assert len(fake.sent()) == 1


async def test_the_fake_refuses_what_zalo_refuses(fake: FakeZaloApi) -> None:
    """The limits are Zalo's, not only ours: the fake refuses them too (by a raw call that skips the checks)."""
    async with ZaloClient(fake.token, base_url=fake.client_base_url) as zalo:
        with pytest.raises(ZaloError) as caught:
            await zalo.call("sendMessage", {"chat_id": USER_ID, "text": "x" * 2001})
        assert caught.value.code == 400
        with pytest.raises(ZaloError):
            await zalo.call("setWebhook", {"url": "https://bot.example.vn/zalo", "secret_token": "short"})
        with pytest.raises(ZaloError) as unknown:
            await zalo.call("getme")  # method names are case-sensitive
        assert unknown.value.code == 400


# --- sendPhoto ------------------------------------------------------------------------------------------------
def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    qrcode.make(url).save(buf, format="PNG")
    return buf.getvalue()


async def test_send_photo_is_fetched_by_the_platform(fake: FakeZaloApi, client: ZaloClient) -> None:
    png = qr_png("https://zalo.me/kenh-chinh-thuc")
    url = fake.host("qr.png", png)
    await client.send_photo(USER_ID, url, caption="Quét mã QR để mở kênh Zalo chính thức")
    [photo] = fake.sent(USER_ID)
    assert photo.photo_url == url and photo.caption == "Quét mã QR để mở kênh Zalo chính thức"
    assert photo.photo_bytes == png
    assert decode_qr(photo.photo_bytes) == ["https://zalo.me/kenh-chinh-thuc"]


async def test_send_photo_fails_when_the_url_cannot_be_fetched(fake: FakeZaloApi, client: ZaloClient) -> None:
    with pytest.raises(ZaloError) as caught:
        await client.send_photo(USER_ID, f"{fake.client_base_url}/hosted/missing.png")
    assert caught.value.code == 400 and not isinstance(caught.value, ZaloTransient)
    assert len(fake.calls_to("sendPhoto")) == 1  # not retried
    assert fake.sent() == []


# --- getUpdates -----------------------------------------------------------------------------------------------
async def test_idle_get_updates_is_empty_and_sends_only_timeout(fake: FakeZaloApi, client: ZaloClient) -> None:
    assert await client.get_updates(timeout=1) == []
    [call] = fake.calls_to("getUpdates")
    assert call.params == {"timeout": "1"} and call.status == 408
    fake.fail_next(408, method="getUpdates", http_status=200, description="Request timeout")
    assert await client.get_updates(timeout=1) == []


async def test_one_update_per_poll_and_a_list_accepted(fake: FakeZaloApi, client: ZaloClient) -> None:
    first, second = fake.inject_text("1"), fake.inject_text("2")
    assert await client.get_updates(timeout=1) == [first]
    assert await client.get_updates(timeout=1) == [second]
    fake.answer_next({"ok": True, "result": [first, second]}, method="getUpdates")
    assert await client.get_updates(timeout=1) == [first, second]
    fake.answer_next({"ok": True, "result": None}, method="getUpdates")
    assert await client.get_updates(timeout=1) == []


async def test_get_updates_is_refused_while_a_webhook_is_set(fake: FakeZaloApi, client: ZaloClient) -> None:
    await start_webhook(client, "https://bot.example.vn/zalo/webhook", SECRET)
    assert (await client.get_webhook_info() or {})["url"] == "https://bot.example.vn/zalo/webhook"
    with pytest.raises(ZaloWebhookActive) as caught:
        await client.get_updates(timeout=1)
    assert "webhook" in str(caught.value).lower()
    await client.delete_webhook()
    assert await client.get_updates(timeout=1) == []


async def test_start_webhook_checks_the_secret_before_calling(fake: FakeZaloApi, client: ZaloClient) -> None:
    for secret in ("short", "x" * 257, "has space in it", "dấu-tiếng-việt-123"):
        with pytest.raises(ValueError, match="secret"):
            await start_webhook(client, "https://bot.example.vn/zalo/webhook", secret)
    with pytest.raises(ValueError, match="https"):
        await start_webhook(client, "http://bot.example.vn/zalo/webhook", SECRET)
    assert fake.calls == []
    with pytest.raises(ValueError):
        webhook_handler("short", _ignore, MemorySeen(), Health())


async def _ignore(event: ZaloEvent) -> None:
    return None


# --- parsing --------------------------------------------------------------------------------------------------
def test_parse_text_image_sticker_and_unsupported() -> None:
    text = parse_update(FakeZaloApi.update("message.text.received", {"text": "Xin chào"}, message_id="m1"))
    assert text is not None
    assert (text.event_name, text.message_id, text.chat_id, text.chat_type, text.sender_id, text.sender_name,
            text.is_bot, text.text, text.kind) == (
        "message.text.received", "m1", USER_ID, "PRIVATE", USER_ID, "Ted", False, "Xin chào", "text")
    image = parse_update({"ok": True, "result": FakeZaloApi.update(
        "message.image.received", {"photo_url": "https://photo.zdn.vn/a.jpg", "caption": "ảnh",
                                   "message_type": "CHAT_PHOTO"}, group=GROUP_ID)})
    assert image is not None and image.text is None and image.kind == "image"
    assert (image.photo_url, image.caption, image.chat_id, image.chat_type) == (
        "https://photo.zdn.vn/a.jpg", "ảnh", GROUP_ID, "GROUP")
    documented = parse_update(FakeZaloApi.update("message.image.received", {"photo": "https://x/y.jpg"}))
    assert documented is not None and documented.photo_url == "https://x/y.jpg"
    sticker = parse_update(FakeZaloApi.update("message.sticker.received", {"sticker": "0e07", "url": "https://s"}))
    assert sticker is not None and (sticker.sticker, sticker.sticker_url, sticker.text) == ("0e07", "https://s", None)
    unsupported = parse_update(FakeZaloApi.update("message.unsupported.received", {}))
    assert unsupported is not None and unsupported.kind == "unsupported" and unsupported.text is None


@pytest.mark.parametrize("garbage", [
    None, 1, "x", [], {}, {"event_name": 3}, {"event_name": "message.text.received"},
    {"event_name": "message.text.received", "message": []},
    {"event_name": "message.text.received", "message": {"from": "u", "chat": {"id": "c"}, "message_id": "m"}},
    {"event_name": "message.text.received", "message": {"from": {"id": None}, "chat": {"id": "c"},
                                                        "message_id": "m"}},
    {"event_name": "message.text.received", "message": {"from": {"id": "u"}, "chat": {"id": "c"},
                                                        "message_id": True}},
    {"ok": True, "result": "nope"},
])
def test_parse_never_raises_on_garbage(garbage: Any) -> None:
    assert parse_update(garbage) is None


def test_parse_tolerates_odd_fields() -> None:
    odd = {"event_name": "message.text.received",
           "message": {"from": {"id": "u", "display_name": 5, "is_bot": "yes"}, "chat": {"id": "u"},
                       "message_id": "m", "text": ["not", "text"], "date": "soon"}}
    event = parse_update(odd)
    assert event is not None
    assert (event.sender_name, event.is_bot, event.text, event.date, event.chat_type) == (
        None, False, None, None, "PRIVATE")


# --- long polling ---------------------------------------------------------------------------------------------
class Collector:
    def __init__(self, fail_on: set[str] | None = None) -> None:
        self.events: list[ZaloEvent] = []
        self.fail_on = fail_on or set()
        self.changed = asyncio.Event()

    async def __call__(self, event: ZaloEvent) -> None:
        self.events.append(event)
        self.changed.set()
        if event.text in self.fail_on:
            raise RuntimeError(f"handler broke on {event.text}")

    async def until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


async def run_poll(client: ZaloClient, on_event: Callable[[ZaloEvent], Awaitable[None]], health: Health,
                   sleeps: Sleeps, **kwargs: Any) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(poll(client, on_event, MemorySeen(), stop, health, timeout=1, sleep=sleeps,
                                    **kwargs))
    return stop, task


async def test_poll_deletes_the_webhook_first_then_receives_in_order(fake: FakeZaloApi, client: ZaloClient,
                                                                     sleeps: Sleeps) -> None:
    await client.set_webhook("https://bot.example.vn/zalo/webhook", SECRET)
    fake.calls.clear()
    collector, health = Collector(), Health()
    stop, task = await run_poll(client, collector, health, sleeps)
    await fake.wait_for(lambda f: f.webhook is None)  # else the injected events would go to the webhook
    for text in ("1", "2", "3"):
        fake.inject_text(text)
    await collector.until(lambda: len(collector.events) == 3)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert fake.calls[0].method == "deleteWebhook"
    assert [e.text for e in collector.events] == ["1", "2", "3"]
    assert health.mode == "polling" and health.last_ok is not None and health.last_error is None


async def test_replayed_updates_are_handled_once_without_a_hot_loop(fake: FakeZaloApi, client: ZaloClient,
                                                                    sleeps: Sleeps) -> None:
    collector, health = Collector(), Health()
    stop, task = await run_poll(client, collector, health, sleeps, min_interval=0.25)
    fake.inject_text("1")
    await collector.until(lambda: len(collector.events) == 1)
    fake.replay_next(5)
    await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) >= 7)
    fake.inject_text("2")
    await collector.until(lambda: len(collector.events) == 2)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert [e.text for e in collector.events] == ["1", "2"]  # the five replays of "1" skipped
    polls = len(fake.calls_to("getUpdates"))
    # every poll after the first waited its min_interval (replays answered at once make no hot loop)
    assert sum(1 for w in sleeps.waits if w > 0.2) >= polls - 1 >= 6


async def test_poll_survives_a_burst_of_errors_and_a_failing_handler(fake: FakeZaloApi, client: ZaloClient,
                                                                     sleeps: Sleeps,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    fake.fail_next(503, 4, method="getUpdates")
    fake.fail_next(429, 3, method="getUpdates")
    fake.fail_next(500, 1, method="getUpdates", http_status=200)
    fake.inject_text("boom")
    fake.inject_text("after")
    collector, health = Collector(fail_on={"boom"}), Health()
    stop, task = await run_poll(client, collector, health, sleeps, min_interval=0.1,
                                backoff=Backoff(first=1, factor=2, cap=8))
    await collector.until(lambda: len(collector.events) == 2)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert [e.text for e in collector.events] == ["boom", "after"]
    assert len(fake.calls_to("getUpdates")) == 8 + 2  # one call per failure, no retry storm
    assert [w for w in sleeps.waits if w >= 1] == [1, 2, 4, 8, 8, 8, 8, 8]  # exponential, capped
    assert "handler broke on boom" in caplog.text
    assert health.last_error is None and health.last_ok is not None
    outage_lines = [r for r in caplog.records if "getUpdates failing" in r.getMessage()]
    assert len(outage_lines) == 1  # one line for the outage, not one per attempt
    assert_no_token(fake.token, caplog.text)


async def test_poll_stops_promptly_during_a_long_poll(fake: FakeZaloApi, client: ZaloClient) -> None:
    fake.max_poll_wait = 30
    stop = asyncio.Event()
    task = asyncio.create_task(poll(client, _ignore, MemorySeen(), stop, Health(), timeout=30))
    await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) == 1)
    stop.set()
    await asyncio.wait_for(task, 1)


async def test_poll_raises_when_a_webhook_appears(fake: FakeZaloApi, client: ZaloClient, sleeps: Sleeps) -> None:
    stop, task = await run_poll(client, _ignore, Health(), sleeps)
    await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) == 1)
    fake.webhook = {"url": "https://elsewhere.example.vn/hook", "secret_token": SECRET, "updated_at": 1}
    with pytest.raises(ZaloWebhookActive):
        await asyncio.wait_for(task, 3)
    stop.set()


# --- webhook --------------------------------------------------------------------------------------------------
@pytest.fixture
async def hook(fake: FakeZaloApi, client: ZaloClient) -> AsyncIterator[tuple[Any, Collector, Health]]:
    """A webhook server on 127.0.0.1 with the handler, registered with the fake."""
    collector, health = Collector(fail_on={"boom"}), Health()
    handler = webhook_handler(SECRET, collector, MemorySeen(), health)
    app = web.Application()
    handler.route(app, "/zalo/webhook")
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await start_webhook(client, f"http://127.0.0.1:{port}/zalo/webhook", SECRET)
    yield handler, collector, health
    await runner.cleanup()


async def test_webhook_wrong_or_missing_secret_is_refused(fake: FakeZaloApi, hook: Any) -> None:
    handler, collector, health = hook
    update = FakeZaloApi.update("message.text.received", {"text": "1"})
    assert await fake.deliver(update, wrong_secret=True) == 403
    assert await fake.deliver(update, omit_secret=True) == 403
    assert await fake.deliver(update, secret=SECRET[:-1]) == 403
    await handler.drain()
    assert collector.events == [] and health.last_ok is None


async def test_webhook_accepts_flat_and_wrapped_bodies(fake: FakeZaloApi, hook: Any) -> None:
    handler, collector, health = hook
    assert await fake.deliver(FakeZaloApi.update("message.text.received", {"text": "flat"}), shape="flat") == 200
    assert await fake.deliver(FakeZaloApi.update("message.text.received", {"text": "wrapped"}),
                              shape="wrapped") == 200
    await handler.drain()
    assert sorted(e.text for e in collector.events) == ["flat", "wrapped"]
    assert health.mode == "webhook" and health.last_ok is not None


async def test_webhook_retried_delivery_is_handled_once(fake: FakeZaloApi, hook: Any) -> None:
    handler, collector, _ = hook
    update = FakeZaloApi.update("message.text.received", {"text": "1"})
    statuses = await asyncio.gather(*(fake.deliver(update) for _ in range(3)))
    assert await fake.deliver(update, shape="wrapped") == 200
    await handler.drain()
    assert statuses == [200, 200, 200]
    assert len(collector.events) == 1


async def test_webhook_malformed_json_is_400(fake: FakeZaloApi, hook: Any) -> None:
    handler, collector, _ = hook
    update = FakeZaloApi.update("message.text.received", {"text": "1"})
    assert await fake.deliver(update, raw_body=b"{not json") == 400
    assert await fake.deliver(update, raw_body=b"[1, 2]") == 400
    assert await fake.deliver(update, raw_body=b"\xff\xfe") == 400
    assert await fake.deliver({"event_name": "something.else"}) == 200  # understood as nothing to do
    await handler.drain()
    assert collector.events == []


async def test_webhook_answers_at_once_and_drains_later(fake: FakeZaloApi, hook: Any) -> None:
    handler, _, _ = hook
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(event: ZaloEvent) -> None:
        await release.wait()
        handled.append(event.text or "")

    handler._on_event = slow
    user_a = [FakeZaloApi.update("message.text.received", {"text": t}) for t in ("a1", "a2", "a3")]
    for update in user_a:
        assert await asyncio.wait_for(fake.deliver(update), 1) == 200  # before any handling
    assert handler.pending == 3 and handled == []
    release.set()
    await handler.drain()
    assert handled == ["a1", "a2", "a3"]  # one chat's events in order
    assert handler.pending == 0


async def test_injected_events_reach_the_webhook_when_one_is_set(fake: FakeZaloApi, hook: Any) -> None:
    handler, collector, _ = hook
    fake.inject_text("boom")  # the handler raises on this one: logged, nothing else breaks
    fake.inject_image(caption="ảnh", group=GROUP_ID)
    fake.inject_sticker()
    fake.inject_unsupported()
    await fake.settle()
    await handler.drain()
    assert sorted(e.kind for e in collector.events) == ["image", "sticker", "text", "unsupported"]
    assert all(d.status == 200 and d.shape == "flat" for d in fake.deliveries)
    assert fake.calls_to("getUpdates") == []
