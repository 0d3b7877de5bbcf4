"""A background job that runs every so often while the bot runs: backups, the outside-change watch, the static
export. One place for starting, stopping and surviving errors, so that no job can take the bot down."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has stopped (its cancellation is not an error)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Periodic:
    """Calls `tick()` every `interval` seconds (at once first, unless `wait_first`); an error is passed to
    `failed()` (which logs it) and the next tick comes as planned."""

    name = "periodic job"

    def __init__(self, interval: float, *, wait_first: bool = False) -> None:
        self.interval = interval
        self.wait_first = wait_first
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        raise NotImplementedError

    def failed(self, exc: Exception) -> None:
        log.error("%s failed", self.name, exc_info=exc)

    def start_task(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        if self.wait_first:
            await asyncio.sleep(self.interval)
        while True:
            try:
                await self.tick()
            except Exception as exc:  # a full disk, a locked file: the bot goes on, and so does the next tick
                self.failed(exc)
            await asyncio.sleep(self.interval)
