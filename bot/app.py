"""The composition root, outside any framework: it opens the registry, warms the views, builds the services once,
and starts every enabled front-end and the one web server inside it — then stops them in the reverse order.

    async with App(settings) as app:        # registry, backups, the watcher, per-user state, the dispatcher
        app.add(TelegramFrontend(app.services, …))
        await app.start()                   # the web server (with each front-end's routes), then the front-ends
        await app.wait()                    # until SIGTERM / SIGINT (or stop() from a test)

The CLI, the console, the bot and the tests all come through here, so they all share one registry, one view
of it and one per-user state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from aiohttp import web

from bot.backups import BackupSchedule, start_backups
from bot.config import Settings
from bot.digest import WeeklyDigest
from bot.outbox import Courier, OutboxWorker, Traffic
from bot.periodic import cancel_and_wait
from bot.runtime import open_registry
from bot.services import Registry
from bot.userstate import UserState
from bot.watch import RegistryWatcher
from bot.web.server import WebServer, start_web
from handlers import Dispatcher
from handlers.alerts import AlertComposer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What every front-end is handed: the one registry, the per-user state, the dispatcher, and the count of
    updates being answered (alerts wait for it: replies go first)."""

    settings: Settings
    registry: Registry
    state: UserState
    dispatcher: Dispatcher
    traffic: Traffic = field(default_factory=Traffic)


class Frontend(Protocol):
    """A platform: an input mapping and a renderer, started and stopped by the App."""

    name: str
    needs_web: bool  # receives its updates through the web server (a webhook): no server, no start

    def routes(self, router: web.UrlDispatcher) -> None:
        """Add its webhook (if any) to the web server, before it starts."""

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Finish the replies in flight, then let go of the platform."""

    def health(self) -> dict[str, Any]:
        """Its mode and the time of its last successful call (for GET /healthz)."""

    def courier(self) -> Courier | None:
        """How alerts reach its chats (bot.outbox); None: it takes none."""


class App:
    def __init__(self, settings: Settings, *, web_server: bool = True) -> None:
        self.settings = settings
        self.web_server = web_server
        self.frontends: list[Frontend] = []
        self.web: WebServer | None = None
        self.outbox: OutboxWorker | None = None
        self.backups: BackupSchedule | None = None
        self._services: Services | None = None
        self._closers: list[Callable[[], Awaitable[Any]]] = []
        self._stopping = asyncio.Event()

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("App.open() first")
        return self._services

    async def open(self) -> Services:
        settings = self.settings
        registry = await open_registry(settings)
        self._closers.append(registry.store.close)
        backups = self.backups = start_backups(settings, registry.store)
        if backups is not None:
            self._closers.append(backups.stop)
        watcher = RegistryWatcher(registry)  # another process's change (python -m bot import) is seen too
        await watcher.start()
        self._closers.append(watcher.stop)
        state = UserState(registry.store)
        await state.load()
        self._services = Services(settings, registry, state, Dispatcher(state))
        return self._services

    @staticmethod
    async def _warm(registry: Registry) -> None:
        for unit in registry.places.units():
            try:
                await registry.unit_view(unit)
            except Exception:  # a unit that cannot be laid out now is laid out (or fails) when asked for
                log.exception("could not prepare the view of %s", unit.slug)

    def add(self, frontend: Frontend) -> None:
        self.frontends.append(frontend)

    async def start(self) -> None:
        """The web server (card images, the directory, /healthz and each front-end's webhook), then each
        front-end."""
        if self.web_server:
            self.web = await start_web(self.settings, self.services.registry, self._add_routes)
            if self.web is not None:
                self._closers.append(self.web.stop)
        needing = [f.name for f in self.frontends if f.needs_web]
        if self.web is None and needing:
            raise RuntimeError(f"the web server did not start, and {', '.join(needing)} receive updates through it")
        for frontend in self.frontends:
            await frontend.start()
            self._closers.append(frontend.stop)
        await self.start_outbox([c for f in self.frontends if (c := f.courier()) is not None])
        # Every unit's view (its card laid out) in the background, not on someone's first /channels — and only
        # once the front-ends take updates: a 400-channel unit's layout takes half a second of the other core.
        registry = self.services.registry
        warming = asyncio.create_task(self._warm(registry), name="warm views")
        self._closers.append(lambda: _cancelled(warming, registry))

    async def start_outbox(self, couriers: list[Courier]) -> None:
        """The delivery worker for alerts and digests, through these couriers (stopped before the front-ends,
        so that the sends in flight finish while their platform is still there)."""
        if not couriers:
            return
        services, settings = self.services, self.settings
        compose = AlertComposer(services.registry, settings.public_url)
        worker = self.outbox = OutboxWorker(services.registry.store, {c.platform: c for c in couriers}, compose,
                                            services.traffic)
        await worker.start()
        services.registry.listeners.append(worker.wake)
        self._closers.append(worker.stop)
        digest = WeeklyDigest(services.registry, set(worker.couriers), super_admins=settings.admin_ids)
        digest.wake = worker.wake
        digest.start_task()
        self._closers.append(digest.stop)

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/healthz", self._healthz)
        for frontend in self.frontends:
            frontend.routes(router)

    async def _healthz(self, request: web.Request) -> web.Response:
        """200 when the registry answers; each front-end's mode and last successful contact with its platform."""
        try:
            await self.services.registry.store.schema_version()
            registry_ok = True
        except Exception:  # a closed or broken database: say so, with 503
            registry_ok = False
        body = {"ok": registry_ok, "registry": "ok" if registry_ok else "unreadable",
                "frontends": {f.name: f.health() for f in self.frontends}}
        return web.json_response(body, status=200 if registry_ok else 503)

    async def wait(self) -> None:
        """Until SIGTERM / SIGINT, or stop()."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Not the main thread (tests): no signal handlers, stop() still works.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stopping.set)
        await self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        """Everything opened, closed in the reverse order: front-ends first (their replies in flight finish),
        the web server, the watcher and backups, the registry last."""
        while self._closers:
            closer = self._closers.pop()
            try:
                await closer()
            except Exception:  # one failing to stop must not keep the others (and the database) open
                log.exception("error while stopping")

    async def __aenter__(self) -> App:
        await self.open()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


async def _cancelled(task: asyncio.Task[None], registry: Registry) -> None:
    await cancel_and_wait(task)
    await registry.settle()


async def serve(settings: Settings) -> int:
    """`python -m bot` with a token: every front-end whose token is set, and the web server, until SIGTERM or
    SIGINT. Exit codes: 0 stopped, 1 a platform refused its token, 2 a setting the platform would refuse."""
    from telegram.error import InvalidToken

    from bot.frontends.telegram import TelegramFrontend, WebhookSecretError, redact_token_in_logs
    from bot.frontends.zalo.client import ZaloError

    for token in (settings.token, settings.zalo_token):
        if token:
            redact_token_in_logs(token)
    async with App(settings) as app:
        if settings.zalo_token:
            from bot.frontends.zalo.client import ZaloClient, check_secret
            from bot.frontends.zalo.frontend import ZaloFrontend

            if settings.zalo_webhook_secret:
                try:
                    check_secret(settings.zalo_webhook_secret)
                except ValueError as exc:
                    log.error("refusing to start: ZALO_WEBHOOK_SECRET: %s", exc)
                    return 2
            client = ZaloClient(settings.zalo_token, base_url=settings.zalo_base_url)
            app.add(ZaloFrontend(app.services, client, webhook_secret=settings.zalo_webhook_secret))
        if settings.token:
            try:
                app.add(TelegramFrontend(app.services, freeze=True))
            except WebhookSecretError as exc:
                log.error("refusing to start: %s", exc)
                return 2
        try:
            await app.start()
        except InvalidToken:  # its message contains the token: say it without
            log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
            return 1
        except ZaloError as exc:  # never carries the token
            log.error("Zalo refused to start the bot (%s); check ZALO_BOT_TOKEN in Zalo Bot Creator", exc)
            return 1
        except RuntimeError as exc:  # a front-end that receives through the web server, which did not start
            log.error("not started: %s", exc)
            return 1
        await app.wait()
    return 0
