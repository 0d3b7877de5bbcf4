"""Changes made by another process (`python -m bot import --apply`, a restore, a second instance) reach the
running bot within seconds: SQLite's `PRAGMA data_version` moves whenever another connection commits, so a
cheap poll tells the registry to rebuild its views — cards included — instead of serving the old ones."""

from __future__ import annotations

import logging

from bot.periodic import Periodic
from bot.services import Registry

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class RegistryWatcher(Periodic):
    name = "outside-change watch"

    def __init__(self, registry: Registry, interval: float = POLL_SECONDS) -> None:
        super().__init__(interval, wait_first=True)
        self.registry = registry
        self.reloads = 0
        self._version: int | None = None

    async def start(self) -> None:
        self._version = await self.registry.store.data_version()
        self.start_task()

    async def tick(self) -> None:
        await self.check()

    def failed(self, exc: Exception) -> None:  # a locked or briefly unreadable file: the next tick will do
        log.warning("could not check the registry for outside changes: %s", exc)

    async def check(self) -> bool:
        """Rebuild the views if another process changed the file since the last check."""
        version = await self.registry.store.data_version()
        if version == self._version:
            return False
        self._version = version
        self.registry.changed()
        self.registry.store.forget_media()
        self.reloads += 1
        log.info("the registry was changed by another process: views rebuilt")
        return True
