"""The Bot API misbehaving: 429s, 5xx answers, a send that hangs past the read timeout, the server killed with
replies in flight, forged webhook posts. Assertions are on what users see: the messages and photos the fake
recorded as delivered, per chat; and on the logs an operator reads."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.app import serve
from bot.config import Settings
from bot.frontends.delivery import Backoff
from bot.people import Person
from tests.fakebot.server import Call, FakeBotApi
from tests.fakebot.updates import VI_USER, message
from tests.telegram_harness import SUPER_ADMIN, Harness, running_bot

FAST = Backoff(first=0.02, factor=2, cap=0.1, budget=1.0)  # the real policy's shape, at test speed
CHAT = VI_USER["id"]


@pytest.fixture
async def bot(settings: Settings, api: FakeBotApi) -> AsyncIterator[Harness]:
    async with running_bot(settings, api, backoff=FAST) as harness:
        yield harness


def texts(calls: list[Call]) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in calls]


def apologies(api: FakeBotApi, chat_id: int = CHAT) -> list[str]:
    return [t for t in texts(api.delivered(chat_id)) if t.startswith(("Xin lỗi", "Sorry"))]


def user(n: int) -> dict[str, Any]:
    return {"id": 500 + n, "is_bot": False, "first_name": f"Người dùng {n}", "language_code": "vi"}


# --- 429 -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("retry_after", [1, 0.05])  # Telegram sends integers; one such (slow) case is enough
async def test_a_429_delays_the_answer_which_arrives_once(bot: Harness, retry_after: float) -> None:
    bot.api.fail_next("sendPhoto", 429, retry_after=retry_after)
    await bot.send(message("/channels cần thơ"))
    [photo] = bot.api.delivered(CHAT)
    assert photo.method == "sendPhoto" and "Cần Thơ" in photo.params["caption"]
    assert len(bot.api.calls_to("sendPhoto", ok=False)) == 1


# --- 5xx -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "text", "code", "times"), [
    ("sendPhoto", "/channels cần thơ", 500, 1),
    ("sendPhoto", "/channels cần thơ", 502, 1),
    ("sendMessage", "/help", 500, 1),
    ("sendMessage", "/help", 502, 1),
    ("sendPhoto", "/channels cần thơ", 502, 4),
    ("sendMessage", "/help", 503, 3),
    ("sendMessage", "/help", 504, 2),
])
async def test_a_5xx_is_retried_and_the_answer_arrives_once(bot: Harness, method: str, text: str, code: int,
                                                             times: int) -> None:
    bot.api.fail_next(method, code, times=times)
    await bot.send(message(text))
    [answer] = bot.api.delivered(CHAT)
    assert answer.method == method and not apologies(bot.api)
    assert len(bot.api.calls_to(method, ok=False)) == times


async def test_a_5xx_that_outlasts_the_retry_budget_is_given_up_quietly(
        bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot.api.fail_next("sendMessage", 502, times=1000)
    await bot.send(message("/help"))
    assert not bot.api.delivered(CHAT)  # no answer, and no apology (it would fail too)
    assert 3 < len(bot.api.calls_to("sendMessage", ok=False)) < 1000
    [unreachable] = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert unreachable.levelno == logging.WARNING and "502 Bad Gateway" in unreachable.getMessage()
    assert any("reply not delivered (ApiUnavailable)" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in caplog.text and bot.api.token not in caplog.text
    bot.api._failures.clear()
    await bot.send(message("/help"))  # the API is back: the next answer goes through, and it is said so
    assert len(bot.api.delivered(CHAT)) == 1 and "Bot API reachable again after" in caplog.text


async def test_other_errors_still_get_the_short_apology(bot: Harness) -> None:
    bot.api.fail_next("sendPhoto", 400, description="Bad Request: something unexpected")
    await bot.send(message("/channels cần thơ"))
    assert len(apologies(bot.api)) == 1


# --- timeouts ------------------------------------------------------------------------------------------------
async def test_a_send_that_times_out_is_neither_retried_nor_apologised_for(
        settings: Settings, api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(settings, api, backoff=FAST, read_timeout=0.5) as bot:
        api.hang_next("sendPhoto", 1.2)  # answered (and delivered) long after the client gave up waiting
        await bot.send(message("/channels cần thơ"))  # returns once the handler and the error handler are done
        assert any("reply not delivered (TimedOut)" in r.getMessage() for r in caplog.records)
        await api.wait_for(lambda calls: any(c.method == "sendPhoto" for c in calls), within=3)
    [photo] = api.delivered(CHAT)  # the late answer, once; no second upload, no "Xin lỗi"
    assert photo.method == "sendPhoto" and "Cần Thơ" in photo.params["caption"]
    assert len(api.calls_to("sendPhoto", ok=False)) == 0 and "Traceback" not in caplog.text


# --- the server goes away ------------------------------------------------------------------------------------
async def test_replies_in_flight_survive_the_server_being_killed_and_restarted(
        settings: Settings, api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    users = [user(n) for n in range(4)]
    queries = ["cần thơ", "hà nội", "huế", "đà nẵng"]  # four cards to draw: the replies are still being made
    port = api.port
    async with running_bot(settings, api, polling=True):  # the production back-off: 0.5 s, doubling
        pushed = [api.push_update(message(f"/channels {q}", user=u)) for u, q in zip(users, queries, strict=True)]
        await api.wait_until(lambda: api.served_update_id >= pushed[-1]["update_id"])
        await api.stop()  # killed: the replies to those updates have nowhere to go
        await asyncio.sleep(1.2)  # the outage (not an assertion)
        await api.start()
        assert api.port == port
        await api.wait_until(lambda: all(api.delivered(u["id"]) for u in users), within=10)
        # Polling goes on: a new update after the restart is answered.
        api.push_update(message("/help", user=users[0]))
        await api.wait_until(lambda: len(api.delivered(users[0]["id"])) == 2, within=10)
    for u, q in zip(users, queries, strict=True):
        answers = api.delivered(u["id"])
        cards = [a for a in answers if "Kênh thông tin chính thức" in (a.params.get("caption") or a.params.get("text")
                                                                          or "")]
        assert len(cards) == 1 and not apologies(api, u["id"]), q  # exactly once (a card, or text for no channel)
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and unreachable[0].levelno == logging.WARNING
    assert re.search(r"Bot API reachable again after \d+\.\d s", caplog.text)
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    assert api.token not in caplog.text and api.token.split(":")[1] not in caplog.text


async def test_get_updates_failing_is_left_to_the_updater_and_logged_once(
        settings: Settings, api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(settings, api, polling=True, backoff=FAST):
        api.fail_next("getUpdates", 502)
        api.push_update(message("/help"))
        await api.wait_until(lambda: bool(api.delivered(CHAT)), within=10)
    # The Updater's error callback saw PTB's NetworkError: the delivery layer did not retry getUpdates itself
    # (its reason would read "getUpdates answered 502 Bad Gateway").
    [unreachable] = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert unreachable == "Bot API unreachable: Bad Gateway"
    assert "Bot API reachable again after" in caplog.text and "Traceback" not in caplog.text


# --- webhooks ------------------------------------------------------------------------------------------------
async def test_a_webhook_without_a_configured_secret_gets_one_and_refuses_forged_posts(
        settings: Settings, api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(settings, api, webhook_url="https://bot.example.gov.vn/telegram", webhook_secret="") as bot:
        secret = bot.frontend.secret
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
        assert "generated a random secret" in caplog.text and secret not in caplog.text
        assert api.webhook == {"url": "https://bot.example.gov.vn/telegram", "secret_token": secret}
        # An attacker posing as the super-admin, making a stranger an admin.
        forged = {"update_id": 1, **message("/grant 424242", user={**VI_USER, "id": SUPER_ADMIN})}
        assert bot.root.web is not None
        url = f"{bot.root.web.url}telegram"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=forged) as no_header:
                assert no_header.status == 403
            wrong = {"X-Telegram-Bot-Api-Secret-Token": secret[:-1] + ("A" if secret[-1] != "A" else "B")}
            async with http.post(url, json=forged, headers=wrong) as wrong_header:
                assert wrong_header.status == 403
            genuine = {"update_id": 2, **message("/channels cần thơ")}
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with http.post(url, json=genuine, headers=headers) as accepted:
                assert accepted.status == 200
        await api.wait_for(lambda calls: any(c.method == "sendPhoto" for c in calls))
        assert [c.method for c in api.delivered(CHAT)] == ["sendPhoto"]
        assert not api.delivered(SUPER_ADMIN)  # the forged /grant was never processed
        assert Person.telegram(424242) not in {user_id for user_id, *_ in await bot.registry.store.admins()}


@pytest.mark.parametrize("secret", ["has spaces", "ünïcode", "semi;colon", "x" * 257])
def test_a_webhook_secret_telegram_would_refuse_stops_start_up(
        settings: Settings, caplog: pytest.LogCaptureFixture, secret: str) -> None:
    bad = replace(settings, token="123456:TEST-token_abcdefghijklmnopqrstuvwxyz",
                  webhook_url="https://bot.example.gov.vn/telegram", webhook_secret=secret)
    assert asyncio.run(serve(bad)) == 2
    assert "refusing to start: BOT_WEBHOOK_SECRET must be 1-256 characters" in caplog.text
    assert secret not in caplog.text


async def test_the_fake_refuses_a_secret_telegram_would_refuse(api: FakeBotApi) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{api.base_url}{api.token}/setWebhook",
                         data={"url": "https://x.example/h", "secret_token": "no spaces"}) as response:
        assert response.status == 400
    assert api.webhook is None


def test_the_production_back_off() -> None:
    waits = Backoff().waits()
    assert [next(waits) for _ in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert Backoff().budget == 60
