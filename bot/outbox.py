"""The delivery worker: sends what the outbox holds (alerts, digests) through each platform's courier, within
the platform's limits, behind the answers to users, and closes each row once.

Why it survives everything:
- the rows were written in the change's own transaction (bot.alerts), so an acknowledged change owes its
  alerts even if the process dies the next instant;
- a row is claimed (pending → sending, committed) before it is sent and settled after, so a restart resends
  nothing that was sent;
- a row found `sending` at start-up was in flight when the process died. No platform can say whether it
  arrived, and on loopback or a kept-alive connection a request written is a request delivered; it is counted
  as sent ("in flight at a crash") — at most one per send slot, and never a second copy;
- a 429 waits the retry_after asked for; a 5xx or a dropped connection backs off (1 s, 2 s, 4 s… at most
  10 min) and gives up after MAX_ATTEMPTS; a chat that is gone (bot removed, user blocked it) ends its
  subscriptions; a group that moved (supergroup) is followed.
Replies go first: before each send the worker waits (up to a second) until no update is being answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.pacing import Pace
from bot.periodic import cancel_and_wait
from bot.replies import Reply, images_of
from bot.store import OutboxRow, Store
from bot.store.alerts import DROPPED, FAILED, SENT

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # 1 s, 2 s … 10 min apart: about an hour and a half of a platform failing
IN_FLIGHT = 8  # sends at once (a round trip to Telegram is ~100 ms; 25 a second needs a few in flight)
CRASH_NOTE = "in flight at a crash: counted as sent"


# --- what a courier may say ------------------------------------------------------------------------------------
class RetryLater(Exception):
    """The platform asked to wait (a 429) or is failing for now (5xx, no connection): `seconds` (None: back off)."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class ChatGone(Exception):
    """The bot can no longer write there: removed from the group, blocked by the user, the chat deleted."""


class ChatMoved(Exception):
    """The group became a supergroup: the same chat under `new_chat_id`."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


class Rejected(Exception):
    """Refused for good (a message the platform will never take): failed, not retried."""


class Courier(Protocol):
    """A platform's way of sending a Reply to a chat on its own (no update to answer)."""

    platform: str
    pace: Pace

    def cost(self, reply: Reply, lang: str) -> int:
        """How many messages the platform counts for this reply."""

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        """Send it; raise RetryLater / ChatGone / ChatMoved / Rejected rather than the platform's errors."""


Composer = Callable[[OutboxRow], Awaitable[Reply | None]]  # None: nothing to say any more (dropped)


class Traffic:
    """Updates being answered now, on any front-end: the worker sends only when none is (or a second passed)."""

    def __init__(self) -> None:
        self._busy = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def answering(self) -> Traffic:
        """`with traffic.answering():` around answering an update. (A plain context manager, not a generator:
        it is entered for every update, and contextlib's machinery cost more than the counting.)"""
        return self

    def __enter__(self) -> None:
        self._busy += 1
        self._quiet.clear()

    def __exit__(self, *exc: object) -> None:
        self._busy -= 1
        if not self._busy:
            self._quiet.set()

    async def quiet(self, max_wait: float = 1.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max_wait):
                await self._quiet.wait()


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), 600))


class OutboxWorker:
    def __init__(self, store: Store, couriers: dict[str, Courier], compose: Composer, traffic: Traffic, *,
                 poll: float = 1.0, in_flight: int = IN_FLIGHT, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.couriers = couriers
        self.compose = compose
        self.traffic = traffic
        self.poll = poll
        self.clock = clock
        self._slots = asyncio.Semaphore(in_flight)
        self._sending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        found = await self.store.in_flight_at_start(CRASH_NOTE)
        if found:
            log.warning("%d alert(s) were in flight when the bot last stopped: counted as sent, not sent again",
                        found)
        self._task = asyncio.create_task(self._run(), name="outbox")

    def wake(self) -> None:
        """Something may be due now (a change was confirmed): look without waiting for the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop taking rows; the sends in flight finish (and are settled) first."""
        await cancel_and_wait(self._task)
        self._task = None
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def drain(self) -> None:
        """Send everything due now, and wait for it (the console before it exits)."""
        while True:
            looked = await self.round()
            if self._sending:  # what they settle may be due again at once (a group that moved)
                await asyncio.gather(*self._sending, return_exceptions=True)
            elif not looked:
                return

    async def _run(self) -> None:
        while True:
            try:
                if not await self.round():
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked or full database: log, wait, go on; nothing is lost (rows stay pending)
                log.exception("the outbox worker failed; retrying")
                await asyncio.sleep(self.poll)

    async def _idle(self) -> None:
        due = await self.store.next_due(self.couriers)
        wait = self.poll if due is None else min(self.poll, max(0.0, due - self.clock()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._wake.wait()

    async def round(self) -> int:
        """Start sending what is due now; how many rows were looked at (0: nothing due)."""
        rows = await self.store.due_outbox(self.clock(), self.couriers, limit=100)
        for row in rows:
            await self._start(row)
        return len(rows)

    async def _start(self, row: OutboxRow) -> None:
        courier = self.couriers[row.platform]
        reply = await self.compose(row)
        if reply is None:
            if await self.store.claim(row.id):
                await self.store.settle(row.id, DROPPED, "nothing to tell any more")
            return
        for image in images_of(reply.image):  # drawn before its slot: a first render (seconds for a big card)
            await image.png_async()              # must not bunch the sends paced behind it into one burst
        cost = courier.cost(reply, row.lang)
        wait = courier.pace.chat_wait(row.chat_id, cost, time.monotonic())
        if wait > 0:  # this chat's own window is full (a group's 20 a minute): later, others first
            await self.store.defer(row.id, self.clock() + wait)
            return
        await self.traffic.quiet()
        await self._slots.acquire()  # a slot first, then the moment: a slot freed late cannot bunch two sends
        try:
            start = courier.pace.reserve(row.chat_id, cost, time.monotonic())
            await asyncio.sleep(max(0.0, start - time.monotonic()))
            claimed = await self.store.claim(row.id)
        except BaseException:
            self._slots.release()
            raise
        if not claimed:  # dropped meanwhile (unsubscribed, the chat gone), or another process took it
            self._slots.release()
            return
        task = asyncio.create_task(self._send(courier, row, reply), name=f"outbox-{row.id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, courier: Courier, row: OutboxRow, reply: Reply) -> None:
        try:
            await courier.deliver(row.chat_id, reply, row.lang)
        except RetryLater as exc:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self.store.settle(row.id, FAILED, str(exc)[:200])
                log.warning("gave up on outbox row %d after %d attempts: %s", row.id, attempts, exc)
            else:
                wait = exc.seconds if exc.seconds is not None else backoff(attempts)
                await self.store.retry_at(row.id, self.clock() + wait, str(exc)[:200])
        except ChatMoved as exc:
            await self.store.chat_moved(row.platform, row.chat_id, exc.new_chat_id)
            await self.store.retry_at(row.id, self.clock(), "moved")  # the row moved with the chat: again, there
        except ChatGone as exc:
            ended = await self.store.chat_gone(row.platform, row.chat_id, str(exc)[:200])
            log.info("%s chat %s is gone (%s): %d subscription(s) ended", row.platform, row.chat_id, exc, len(ended))
        except Rejected as exc:
            await self.store.settle(row.id, FAILED, str(exc)[:200])
            log.warning("outbox row %d refused for good: %s", row.id, exc)
        except Exception as exc:  # a courier's own bug: failed, logged, the worker goes on
            await self.store.settle(row.id, FAILED, type(exc).__name__)
            log.exception("sending outbox row %d failed", row.id)
        else:
            await self.store.settle(row.id, SENT)
        finally:
            self._slots.release()
