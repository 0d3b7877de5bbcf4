"""Delivery that survives the Bot API: bounded retries of 5xx answers and failed connections, and an outage
logged once (when it starts, and how long it lasted when it ends) instead of a traceback per attempt.

Where the retries live, and why there: in a wrapper around the BaseRequest (DeliveryRequest), not in an
AIORateLimiter subclass. At this layer the HTTP status is still a number and a transport failure still a type;
above it, PTB's BaseRequest has turned a 500, a 502 and a 413 alike into a NetworkError that carries only
Telegram's description, so a rate limiter could only guess from strings which errors are worth repeating. The
wrapper also works whether a rate limiter is configured or not (BOT_RATE_LIMIT=0 in benchmarks keeps the
retries), and getUpdates, which PTB sends through its own request object, gets no retries: the Updater already
loops on it (with its own back-off). A 429 is not retried here either: AIORateLimiter(max_retries=3) above this
layer waits the retry_after Telegram asks for, and pauses every other call meanwhile.

What is never retried: a timeout after the request was sent. It may have reached Telegram and may still land,
and Telegram de-duplicates nothing: one late answer is better than two. TimedOut goes up as it is.

What is retried although it is not strictly safe: a connection dropped (reset, "server disconnected") before any
response. The server may, in principle, have acted on the request before dying; in practice a dropped connection
means the server or a proxy in front of it went away, and losing every reply in flight is the worse outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class ConnectionFailed(NetworkError):
    """No response at all: the connection could not be made, or was dropped before Telegram answered."""


class ApiUnavailable(NetworkError):
    """The Bot API kept failing (5xx, or no connection) until the retry budget ran out."""


def undeliverable(error: object) -> bool:
    """An error after which telling the user "sorry" is wrong or pointless: the answer may still land
    (TimedOut), or the Bot API is down, so the apology would fail too."""
    return isinstance(error, TimedOut | ConnectionFailed | ApiUnavailable)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off: `first` seconds, times `factor` after each failure, at most `cap` per wait; gives up
    when waiting again would take the whole call past `budget` seconds."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    budget: float = 60.0

    def waits(self) -> Iterator[float]:
        wait = self.first
        while True:
            yield wait
            wait = min(wait * self.factor, self.cap)


def short_reason(error: BaseException) -> str:
    """One line, bounded: what went wrong, for a log line. (Bot API URLs are already out of these messages.)"""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


class OutageLog:
    """One WARNING when the Bot API becomes unreachable, one INFO with the duration when it answers again, and
    nothing in between, however many calls fail meanwhile. Shared by polling and sending."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None
        self.last_ok: float | None = None  # wall-clock time of the last getUpdates answered

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, reason: str) -> None:
        if self._since is None:
            self._since = self._clock()
            log.warning("Bot API unreachable: %s", reason)

    def recovered(self) -> None:
        if self._since is not None:
            seconds = self._clock() - self._since
            self._since = None
            log.info("Bot API reachable again after %.1f s", seconds)

    def polling_error(self, error: TelegramError) -> None:
        """The Updater's `error_callback` (it must be a plain function). It gets every TelegramError of
        getUpdates but TimedOut, RetryAfter and InvalidToken, which the Updater handles itself."""
        if isinstance(error, NetworkError):
            self.failed(short_reason(error))
        else:  # a Conflict (another instance polling), for example: not an outage, but worth a line each time
            log.warning("getUpdates failed: %s", short_reason(error))


class DeliveryRequest(BaseRequest):
    """Wraps the real request object: retries 5xx and ConnectionFailed with `backoff` (None: no retries, for
    getUpdates), and reports failures and the first success after them to the OutageLog."""

    def __init__(self, inner: BaseRequest, outage: OutageLog, backoff: Backoff | None = None) -> None:
        self._inner = inner
        self._outage = outage
        self._backoff = backoff

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._backoff is None:  # getUpdates: no retries, only the outage's end to report
            status, payload = await self._inner.do_request(
                url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                connect_timeout=connect_timeout, pool_timeout=pool_timeout)
            if 200 <= status < 300:
                self._outage.last_ok = time.time()  # the last successful poll (GET /healthz)
                if self._outage.down:
                    self._outage.recovered()
            return status, payload
        endpoint = url.rsplit("/", 1)[-1]  # the method's name: the URL itself carries the token
        loop = asyncio.get_running_loop()
        started = loop.time()
        waits = self._backoff.waits()
        while True:
            failure: ConnectionFailed | None = None
            try:
                status, payload = await self._inner.do_request(
                    url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                    connect_timeout=connect_timeout, pool_timeout=pool_timeout)
            except ConnectionFailed as exc:
                failure, reason = exc, short_reason(exc)
            else:
                if status not in RETRY_STATUSES:
                    if self._outage.down and 200 <= status < 300:
                        self._outage.recovered()
                    return status, payload
                reason = f"{endpoint} answered {status} {_phrase(status)}"
            wait = next(waits)
            elapsed = loop.time() - started
            if elapsed + wait > self._backoff.budget:
                raise ApiUnavailable(f"{endpoint}: gave up after {elapsed:.0f} s: {reason}") from failure
            self._outage.failed(reason)
            log.debug("%s failed (%s); retrying in %.2f s", endpoint, reason, wait)
            await asyncio.sleep(wait)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
