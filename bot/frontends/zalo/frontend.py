"""The Zalo front-end: an event → the dispatcher's input; a Reply → plain text (bot.frontends.plain, ≤ 2000
characters a message) and card photos by their URL on the web server (Zalo fetches images itself).

Zalo has no buttons, no markup and no editing: actions are numbered lines and a bare number picks one
(handlers/dispatch.py), a preview waits for "có" / "không" typed, and a file (an /export) becomes a
short-lived, single-use download link for the admin who asked. Updates come by long polling, or by a webhook on
the web server when ZALO_WEBHOOK_SECRET is set; each message is answered once, also across a restart
(StoreSeen). Senders that are bots are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.app import Services
from bot.frontends.plain import render
from bot.frontends.zalo.client import MAX_TEXT, ZaloClient, ZaloError, ZaloTransient
from bot.frontends.zalo.receive import (
    Health,
    WebhookHandler,
    ZaloEvent,
    poll,
    start_webhook,
    webhook_handler,
)
from bot.i18n import VI, t
from bot.outbox import Rejected, RetryLater
from bot.pacing import Pace, zalo_pace
from bot.people import ZALO, Person
from bot.replies import Image, Reply, images_of
from bot.store import Store
from handlers import Context
from handlers.dispatch import TextInput, input_of_text

log = logging.getLogger(__name__)

WEBHOOK_PATH = "zalo"
SEEN_FOR = 7 * 86400.0  # seconds a message_id is remembered: replays have been measured minutes to hours later
IMAGES_KEPT = 256  # images sent lately, served for Zalo to fetch (cards, previews)
DOWNLOAD_FOR = 600.0  # seconds an /export download link stays valid (and it works once)


class StoreSeen:
    """Zalo message ids answered lately, in SQLite: a replay is skipped, also after a restart."""

    def __init__(self, store: Store, keep: float = SEEN_FOR) -> None:
        self.store, self.keep = store, keep

    async def first_time(self, message_id: str) -> bool:
        return await self.store.first_delivery(ZALO, message_id, time.time(), self.keep)


@dataclass(frozen=True)
class _Download:
    name: str
    content: bytes
    expires: float


class Downloads:
    """Files for people whose platform cannot receive them: a random, single-use URL valid for minutes."""

    def __init__(self, ttl: float = DOWNLOAD_FOR) -> None:
        self.ttl = ttl
        self._files: dict[str, _Download] = {}

    def offer(self, name: str, content: bytes) -> str:
        now = time.time()
        self._files = {k: v for k, v in self._files.items() if v.expires > now}
        token = secrets.token_urlsafe(24)
        self._files[token] = _Download(name, content, now + self.ttl)
        return token

    def take(self, token: str) -> _Download | None:
        found = self._files.pop(token, None)
        return found if found is not None and found.expires > time.time() else None


class ZaloFrontend:
    name = "zalo"
    needs_web = True  # card images (and the webhook) are served by the web server

    def __init__(self, services: Services, client: ZaloClient, *, webhook_secret: str = "", poll_timeout: int = 30,
                 min_interval: float = 1.0) -> None:
        self.services = services
        self.client = client
        self.public_url = services.settings.public_url
        self.secret = webhook_secret
        self.webhook = bool(webhook_secret)
        self.poll_timeout = poll_timeout
        self.min_interval = min_interval
        self.health_state = Health()
        self.seen = StoreSeen(services.registry.store)
        self.downloads = Downloads()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._hook: WebhookHandler | None = None
        self._images: OrderedDict[str, Image] = OrderedDict()

    # --- lifecycle --------------------------------------------------------------------------------------
    def routes(self, router: web.UrlDispatcher) -> None:
        if self.webhook:
            self._hook = webhook_handler(self.secret, self.on_event, self.seen, self.health_state)
            router.add_post(f"/{WEBHOOK_PATH}", self._hook.handle)
        router.add_get(r"/download/{token:[A-Za-z0-9_-]{32}}/{name}", self._download)
        router.add_get(r"/zalo/image/{key:[0-9a-f]{16,128}}.png", self._image)

    async def start(self) -> None:
        if not self.public_url:
            log.warning("BOT_PUBLIC_URL is not set: Zalo users get text only (Zalo fetches images by URL)")
        await self.client.start()
        await self.client.get_me()  # a wrong token stops the start here (ZaloError 401), not in the loop
        if self.webhook:
            await start_webhook(self.client, f"{self.public_url}/{WEBHOOK_PATH}", self.secret)
            self.health_state.ok("webhook")
        else:
            self._task = asyncio.create_task(self._poll(), name="zalo-poll")

    async def _poll(self) -> None:
        try:
            await poll(self.client, self.on_event, self.seen, self._stop, self.health_state,
                       timeout=self.poll_timeout, min_interval=self.min_interval)
        except ZaloError as exc:  # 401, or another deployment's webhook: stop receiving, loudly
            log.error("Zalo polling stopped: %s", exc)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        if self._hook is not None:
            await self._hook.drain(grace=10)
        await self.client.close()

    def health(self) -> dict[str, Any]:
        return self.health_state.as_dict()

    def courier(self) -> ZaloCourier:
        return ZaloCourier(self)

    # --- input --------------------------------------------------------------------------------------------
    async def on_event(self, event: ZaloEvent) -> None:
        if event.is_bot:
            return
        with self.services.traffic.answering():  # alerts wait while users are being answered
            await self._answer(event)

    async def _answer(self, event: ZaloEvent) -> None:
        ctx = self.context(event)
        if event.kind == "text" and event.text:
            replies = await self.services.dispatcher.dispatch(ctx, input_of_text(event.text))
        elif event.caption:  # a photo with a caption (a forwarded card, perhaps): its links are what to check
            replies = await self.services.dispatcher.dispatch(ctx, TextInput(event.caption))
        else:  # an image, a sticker, or content Zalo withholds (message.unsupported.received)
            replies = [Reply().add(t("unsupported_message", ctx.lang))]
        for reply in replies:
            await self.send(event.chat_id, reply, ctx.lang)
            for person, note in reply.notify:
                if person.platform == ZALO:  # a private chat's id is its user's id
                    await self._send_quietly(person.id, note, VI)

    def context(self, event: ZaloEvent) -> Context:
        settings = self.services.settings
        return Context(self.services.registry, VI, Person(ZALO, event.sender_id), event.sender_name,
                       chat=event.chat_id, private=event.private, super_admins=settings.admin_ids,
                       public_url=self.public_url, typed=True, uploads=False)

    # --- output -------------------------------------------------------------------------------------------
    async def send(self, chat_id: str, reply: Reply, lang: str) -> None:
        """Photos first (each card image by its URL), then the text: every URL in full, ≤ 2000 characters a
        message; a file as a download link."""
        if self.public_url:
            for image in images_of(reply.image):
                self._remember(image)
                await self.client.send_photo(chat_id, f"{self.public_url}/zalo/image/{image.key}.png")
        for text in render(reply, lang, limit=MAX_TEXT):
            await self.client.send_message(chat_id, text)
        for name, content in reply.files:
            await self.client.send_message(chat_id, self._download_line(name, content, lang))

    async def _send_quietly(self, chat_id: str, reply: Reply, lang: str) -> None:
        try:
            await self.send(chat_id, reply, lang)
        except ZaloError as exc:  # they may never have written to the bot: what caused it stands
            log.warning("could not notify a Zalo user: %s", exc)

    def _download_line(self, name: str, content: bytes, lang: str) -> str:
        if not self.public_url:
            return t("download_unavailable", lang, name=name)
        token = self.downloads.offer(name, content)
        minutes = int(self.downloads.ttl // 60)
        return t("download_link", lang, name=name, url=f"{self.public_url}/download/{token}/{name}",
                 minutes=minutes)

    def _remember(self, image: Image) -> None:
        """Zalo fetches each image by its URL after sendPhoto: the images sent lately stay reachable there
        (content-addressed: a URL always means the same bytes; a card's URL outlives this memo, see _image)."""
        self._images[image.key] = image
        self._images.move_to_end(image.key)
        while len(self._images) > IMAGES_KEPT:
            self._images.popitem(last=False)

    async def _image(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        image = self._images.get(key)
        if image is not None:
            headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{key}"'}
            if request.headers.get("If-None-Match") == f'"{key}"':
                return web.Response(status=304, headers=headers)
            return web.Response(body=await image.png_async(), content_type="image/png", headers=headers)
        raise web.HTTPFound(f"/card/{key}.png")  # a unit's current card (after a restart, say): the directory's

    async def _download(self, request: web.Request) -> web.Response:
        found = self.downloads.take(request.match_info["token"])
        if found is None or found.name != request.match_info["name"]:
            raise web.HTTPNotFound()
        return web.Response(body=found.content, headers={
            "Content-Disposition": f'attachment; filename="{found.name}"', "Cache-Control": "no-store",
            "Content-Type": "application/octet-stream"})


class ZaloCourier:
    """Alerts and digests to Zalo chats (bot.outbox). Zalo documents no error for "the user blocked the bot",
    so a Zalo chat is never taken for gone: its failures are retried, then counted as failed."""

    platform = ZALO

    def __init__(self, frontend: ZaloFrontend, pace: Pace | None = None) -> None:
        self.frontend = frontend
        self.pace = pace or zalo_pace()

    def cost(self, reply: Reply, lang: str) -> int:
        photos = len(images_of(reply.image)) if self.frontend.public_url else 0
        return photos + len(render(reply, lang, limit=MAX_TEXT)) + len(reply.files)

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        try:
            await self.frontend.send(chat_id, reply, lang)
        except ZaloTransient as exc:
            if exc.maybe_sent:
                return  # it may have landed: counted as sent, never sent twice
            raise RetryLater(str(exc), 60.0 if exc.code == 429 else None) from exc
        except ZaloError as exc:
            raise Rejected(str(exc)) from exc
