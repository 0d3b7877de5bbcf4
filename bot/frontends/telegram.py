"""The Telegram front-end and composition root: builds the Application, registers every handler in one place,
and renders handlers' Replies as messages, photos and buttons. Command semantics live in handlers/, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
import re
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputFile,
    InputMediaPhoto,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    SwitchInlineQueryChosenChat,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.app import Services
from bot.config import Settings
from bot.extract import FoundLink, links_in
from bot.frontends.aiohttp_request import AiohttpRequest
from bot.frontends.delivery import Backoff, DeliveryRequest, OutageLog, short_reason, undeliverable
from bot.frontends.telegram_text import chunk_lines, entity_count, to_html, visible_length
from bot.i18n import EN, VI, lang_of, t
from bot.memo import ViewMemo
from bot.outbox import ChatGone, ChatMoved, Rejected, RetryLater, Traffic
from bot.pacing import Pace, telegram_pace
from bot.people import WEB_VISITOR, Person
from bot.periodic import cancel_and_wait
from bot.places import Place, Resolution, Status
from bot.replies import Image, Line, Reply, images_of, to_plain
from bot.services import Registry, UnitView
from bot.text import vi_sort_key
from bot.validate import ascii_int
from handlers import COMMANDS, Context, menu
from handlers import admin as admin_handlers
from handlers import public as public_handlers
from handlers.dispatch import ChatEnded, Input, PickInput, TextInput, UploadInput, parse_command
from handlers.dispatch import ChatMoved as ChatMovedNews

log = logging.getLogger(__name__)

MEDIA_PLATFORM = "telegram"
INLINE_PAGE = 50  # Telegram's maximum results per answer
CALLBACK_SEP = "|"
WEBHOOK_PATH = "telegram"
# Every text goes as HTML without link previews, every caption as HTML: passed with each call rather than as
# PTB Defaults, whose merging runs on every call (measured: ~60 µs of CPU per reply, a sixth of a cached
# /channels answer's cost).
TEXT: dict[str, Any] = {"parse_mode": ParseMode.HTML, "link_preview_options": LinkPreviewOptions(is_disabled=True)}
CAPTION: dict[str, Any] = {"parse_mode": ParseMode.HTML}


# --- concurrency -------------------------------------------------------------------------------------------
class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` updates at once, but one at a time per chat, in arrival order.

    Unbounded concurrency is slower (httpx pool bookkeeping), sequential is far too slow at a network round
    trip per call; and a conversation (an admin's guided /addnotice) must see its messages in order.
    """

    def __init__(self, max_concurrent_updates: int, traffic: Traffic | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._traffic = traffic or Traffic()  # updates being answered: alerts wait for none (bot.outbox)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            with self._traffic.answering():
                async with lock:
                    await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _order_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat:
            return update.effective_chat.id
        if update.effective_user:
            return update.effective_user.id
    return 0


# --- building the application ------------------------------------------------------------------------------
class _Application(Application):
    """PTB's Application, minus one leak: without a persistence it still adds the id of every user and chat it
    ever sees to two sets, for a persistence update that never comes (PTB 22: _mark_for_persistence_update).
    Measured: about 0.2 KB per distinct user, +10 MB at 100,000 users, for nothing."""

    def _mark_for_persistence_update(self, *, update: object | None = None, job: Any = None) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)



@cache
def _ssl_context() -> ssl.SSLContext:
    """One CA bundle load for both HTTP clients (the polling one and the one for replies)."""
    return ssl.create_default_context()


Transport = Callable[[int, float], BaseRequest]  # (connection pool size, read timeout) → what carries the calls


def aiohttp_transport(pool: int, read_timeout: float) -> BaseRequest:
    return AiohttpRequest(pool, ssl_context=_ssl_context(), read_timeout=read_timeout)


def build_application(services: Services, *, backoff: Backoff | None = None, read_timeout: float = 5.0,
                      updater: bool = True, transport: Transport = aiohttp_transport) -> Application:
    """PTB's Application over the project's own transport, with every entry point registered. `updater=False`
    (webhook mode): updates come from the web server's route, not from getUpdates. `backoff` paces the retries
    of 5xx answers and failed connections (tests make it fast); `read_timeout` bounds the wait for an answer
    to any call but getUpdates (tests make it short). `transport` is aiohttp but in the benchmark that
    measures the project's own CPU per update (bench/own_cost.py: calls answered in-process)."""
    settings = services.settings
    outage = OutageLog()

    def request(pool: int, retries: Backoff | None, timeout: float = 5.0) -> DeliveryRequest:
        return DeliveryRequest(transport(pool, timeout), outage, retries)

    builder = (
        ApplicationBuilder()
        .application_class(_Application)
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .request(request(settings.concurrency + 4, backoff or Backoff(), read_timeout))
        .get_updates_request(request(2, None))  # the Updater retries getUpdates itself
        .concurrent_updates(ChatOrderedProcessor(settings.concurrency, services.traffic))
    )
    if not updater:
        builder = builder.updater(None)
    if settings.rate_limit:
        # Retries a 429 after the retry_after Telegram asks for; also keeps us under the flood limits.
        limiter: BaseRateLimiter[Any] = AIORateLimiter(max_retries=3)
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["registry"] = services.registry
    app.bot_data["outage"] = outage
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    """Every entry point, in order: each maps an update to the dispatcher's input (or, inline mode, answers
    it here). Commands work in every chat; plain messages, files and unknown commands in private chats."""
    # Commands first: most updates are one, and PTB checks the handlers in order until one matches.
    app.add_handler(CommandHandler(list(COMMANDS), on_command))  # also /name@ThisBot in groups
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))  # a group became a supergroup
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, on_document))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, on_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text))
    # Stickers, photos, voice… in a private chat: say what the bot understands rather than stay silent.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, on_other))
    app.add_handler(CallbackQueryHandler(on_callback))
    app.add_handler(InlineQueryHandler(on_inline))
    app.add_error_handler(on_error)


class TelegramFrontend:
    """Telegram, started and stopped by the App: long polling, or a webhook on the App's web server (PTB
    without its own updater, as in PTB's custom-webhook example)."""

    name = "telegram"

    def __init__(self, services: Services, *, backoff: Backoff | None = None, read_timeout: float = 5.0,
                 poll_timeout: int = 10, poll: bool = True, freeze: bool = False) -> None:
        settings = services.settings
        self.settings = settings
        self.services = services
        self.webhook = bool(settings.webhook_url)
        self.secret = webhook_secret(settings) if self.webhook else ""  # WebhookSecretError: refuse to start
        self.needs_web = self.webhook
        self.app = build_application(services, backoff=backoff, read_timeout=read_timeout,
                                     updater=not self.webhook)
        self.poll_timeout = poll_timeout
        self.poll = poll  # False: nothing fetches updates (tests feed them to the Application directly)
        self.freeze = freeze
        self.last_ok: float | None = None
        self.face: asyncio.Task[None] | None = None  # setting the menus and descriptions, after start

    def routes(self, router: web.UrlDispatcher) -> None:
        if self.webhook:
            router.add_post(f"/{WEBHOOK_PATH}", self._on_webhook)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Telegram's post: the secret checked in constant time (403, nothing done, without it), then the
        update queued for the Application and 200 at once."""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        self.last_ok = time.time()
        return web.Response()

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        # The menus and descriptions go up beside the first getUpdates, not before it (6+ calls in a row).
        self.face = asyncio.create_task(self._set_face(), name="telegram face")
        if self.webhook:
            await self.app.bot.set_webhook(self.settings.webhook_url, secret_token=self.secret,
                                           allowed_updates=Update.ALL_TYPES)
        elif self.poll:
            assert self.app.updater is not None
            await self.app.updater.start_polling(poll_interval=0, timeout=self.poll_timeout,
                                                 allowed_updates=Update.ALL_TYPES,
                                                 error_callback=polling_error_callback(self.app))
        if self.freeze:
            # Everything built at start-up lives as long as the process: out of the collector's way, so that
            # collections triggered per update scan only what updates create. (Not in tests.)
            gc.collect()
            gc.freeze()

    async def _set_face(self) -> None:
        try:
            await set_face(self.app)
        except TelegramError as exc:  # the bot answers without its menus; the next start sets them
            log.warning("could not set the command menus and descriptions: %s", short_reason(exc))

    async def stop(self) -> None:
        await cancel_and_wait(self.face)
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()  # the updates in flight are finished first
        await self.app.shutdown()

    def courier(self) -> TelegramCourier:
        return TelegramCourier(self.app, self.services)

    def health(self) -> dict[str, Any]:
        outage: OutageLog = self.app.bot_data["outage"]
        return {"mode": "webhook" if self.webhook else "polling", "last_ok": self.last_ok or outage.last_ok}


async def set_face(app: Application) -> None:
    """The bot's face: command menus per language (admins get theirs), descriptions."""
    services: Services = app.bot_data["services"]
    registry = services.registry
    bot = app.bot
    covered = sum(1 for n in (await registry.coverage()).values() if n)
    for lang, code in ((VI, None), (EN, "en")):
        commands = [BotCommand(c.name, c.description(lang)) for c in menu(admin=False)]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
        await bot.set_my_description(t("welcome", lang, covered=covered), language_code=code)
        await bot.set_my_short_description(_short_description(lang), language_code=code)
    admins = set(services.settings.admin_ids) | {person for person, *_ in await registry.store.admins()}
    for person in sorted(admins):
        if person.telegram_id is not None:
            await set_admin_menu(bot, person.telegram_id, admin=True)


async def set_admin_menu(bot: Any, user_id: int, *, admin: bool) -> None:
    """Admins see the admin commands in their private chat's menu. A convenience only: every admin command
    checks the caller's role itself."""
    scope = BotCommandScopeChat(chat_id=user_id)
    try:
        for lang, code in ((VI, None), (EN, "en")):
            if admin:
                await bot.set_my_commands([BotCommand(c.name, c.description(lang)) for c in menu(admin=True)],
                                          scope=scope, language_code=code)
            else:
                await bot.delete_my_commands(scope=scope, language_code=code)
    except BadRequest as exc:  # the user has never opened a chat with the bot: nothing to set yet
        log.info("admin menu for %s not set: %s", user_id, exc.message)


def _short_description(lang: str) -> str:
    return t("short_description", lang)


# --- handlers ----------------------------------------------------------------------------------------------
def _context(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Context:
    services: Services = context.application.bot_data["services"]
    settings = services.settings
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    replied = message.reply_to_message if message else None
    reply_to_user = None
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        reply_to_user = (Person.telegram(replied.from_user.id), replied.from_user.full_name)
    if replied is not None:
        replied_text: str | None = replied.text or replied.caption or ""
        replied_links = tuple(dict.fromkeys([*links_in(replied_text or ""), *hidden_links(replied)]))
    else:
        replied_text, replied_links = None, ()
    private = chat is None or chat.type == "private"

    async def chat_admin() -> bool:
        """Whether the sender administers this group, as Telegram says now (an anonymous admin writes as the
        group itself)."""
        if chat is None or user is None:
            return False
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)

    # Never context.user_data: merely reading it makes PTB keep a dict per user forever. Per-user state is
    # the dispatcher's (bot.userstate), kept only for users who have some.
    return Context(
        registry=services.registry,
        lang=lang_of(user.language_code if user else None),
        user=Person.telegram(user.id if user else 0),
        user_name=user.full_name if user else None,
        chat=str(chat.id if chat else user.id if user else 0),
        bot_username=context.bot.username or "",
        private=private,
        super_admins=settings.admin_ids,
        public_url=settings.public_url,
        reply_to_user=reply_to_user,
        links=hidden_links(message),
        replied_text=replied_text,
        replied_links=replied_links,
        chat_admin=None if private else chat_admin,
    )


async def _dispatch(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Input) -> tuple[Context, list[Reply]]:
    ctx = _context(update, context)
    services: Services = context.application.bot_data["services"]
    return ctx, await services.dispatcher.dispatch(ctx, event)


def hidden_links(message: Message | None) -> tuple[FoundLink, ...]:
    """Links whose target the text does not show: text_link entities ("Bấm vào đây" → a URL), with that text."""
    if message is None or not (any(e.type == MessageEntity.TEXT_LINK for e in message.entities)
                               or any(e.type == MessageEntity.TEXT_LINK for e in message.caption_entities)):
        return ()
    found = [*message.parse_entities([MessageEntity.TEXT_LINK]).items(),
             *message.parse_caption_entities([MessageEntity.TEXT_LINK]).items()]
    return tuple(FoundLink(entity.url, shown) for entity, shown in found if entity.url)


def where(message: Message | None, reply: Reply, private: bool) -> dict[str, Any]:
    """Where an answer goes: the topic it was asked in; in groups, as a reply to the asker's message (or to the
    message a /verify replied to)."""
    if message is None:
        return {}
    target: dict[str, Any] = {}
    if message.is_topic_message and message.message_thread_id:
        target["message_thread_id"] = message.message_thread_id
    answered = message.reply_to_message if reply.answer_replied and message.reply_to_message else message
    if answered is not message or not private:
        target["reply_parameters"] = ReplyParameters(answered.message_id, allow_sending_without_reply=True)
    return target


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    event = parse_command(message.text, context.bot.username or "")
    if event is None:
        return
    await _answer_message(update, context, message, event)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    await _answer_message(update, context, message, TextInput(message.text))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.caption:  # a photo or a file with a caption, forwarded perhaps: its links are what to check
        await _answer_message(update, context, message, TextInput(message.caption))
        return
    ctx = _context(update, context)
    await send_reply(context, message.chat_id, Reply().add(ctx.t("unsupported_message")), ctx,
                     where(message, Reply(), ctx.private))


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's own membership changed: removed from a group, or blocked by a user → that chat's subscriptions
    end (nothing is answered: there is no one to answer)."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED):
        return
    services: Services = context.application.bot_data["services"]
    await services.dispatcher.chat_news(_context(update, context), ChatEnded(change.new_chat_member.status))


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (Telegram says so in both chats): its subscriptions follow it."""
    message = update.effective_message
    if message is None:
        return
    old, new = ((message.chat_id, message.migrate_to_chat_id) if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat_id))
    if old is None or new is None:
        return
    ctx = _context(update, context)
    ctx.chat = str(old)
    services: Services = context.application.bot_data["services"]
    await services.dispatcher.chat_news(ctx, ChatMovedNews(str(new)))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: an export to import, or a notice to read (/ingest) — downloaded only once the dispatcher has
    checked its size and the sender's role."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document

    async def fetch() -> bytes:
        return bytes(await (await document.get_file()).download_as_bytearray())

    upload = UploadInput(document.file_name or "", document.file_size or 0, fetch, message.caption or "")
    await _answer_message(update, context, message, upload)


async def _answer_message(update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message,
                          event: Input) -> None:
    ctx, replies = await _dispatch(update, context, event)
    for reply in replies:
        await send_reply(context, message.chat_id, reply, ctx, where(message, reply, ctx.private))
        await _after_sending(context, ctx, reply)


async def _after_sending(context: ContextTypes.DEFAULT_TYPE, ctx: Context, reply: Reply) -> None:
    """A reply's effects: a changed role refreshes that user's menu; others to tell are told."""
    if reply.role_changed is not None and reply.role_changed.telegram_id is not None:
        is_admin = await admin_handlers.changes(ctx).is_admin(reply.role_changed, ctx.super_admins)
        await set_admin_menu(context.bot, reply.role_changed.telegram_id, admin=is_admin)
    for person, note in reply.notify:  # e.g. the newly granted admin is told
        if person.telegram_id is None:
            continue
        try:
            await send_reply(context, person.telegram_id, note, ctx)
        except TelegramError as exc:  # they may never have started the bot: the grant stands
            log.warning("could not notify user %s: %s", person, exc)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons carry "<command>|<arg>" (ids and slugs, never names): the action picked."""
    query = update.callback_query
    if query is None:
        return
    command, _, arg = (query.data or "").partition(CALLBACK_SEP)
    if command == "page":  # buttons sent before the one Pager: "page|units|2" is "units|2"
        command, _, arg = arg.partition(CALLBACK_SEP)
    if query.message is None or command not in COMMANDS:
        await query.answer(t("error", lang_of(query.from_user.language_code)), show_alert=False)
        return
    ctx, replies = await _dispatch(update, context, PickInput(command, arg))
    reply = replies[0]
    if reply.alert and not ctx.private:  # a refusal to a button in a group: to the presser, not to everyone
        await query.answer(to_plain(reply.lines)[:200], show_alert=True)
        return
    await query.answer()
    if reply.settled:  # take the Confirm / Cancel buttons off the preview
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
    message = query.message
    if reply.pager is not None and reply.image is None and isinstance(message, Message) and message.text:
        # A page turned on a text message: that message shows the new page (when it can still be edited).
        rendering = _rendering(reply, ctx.lang)
        if len(rendering.messages) == 1:
            text, markup = rendering.messages[0]
            if message.text == to_plain(reply.lines) and message.reply_markup == markup:
                return  # the same page again: nothing to change (Telegram would refuse "not modified")
            try:
                await query.edit_message_text(text, reply_markup=markup, **TEXT)
                return
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return
    for each in replies:
        await send_reply(context, message.chat.id, each, ctx)
        await _after_sending(context, ctx, each)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Matching units as cards to share into any chat; every inline query gets an answer, even an empty one."""
    query = update.inline_query
    if query is None:
        return
    ctx = _context(update, context)
    services: Services = context.application.bot_data["services"]
    ctx.lang = services.state.language(ctx.user) or ctx.lang  # a /lang choice holds here too
    found = links_in(query.query)
    if found:  # "@bot <link>": the verdict, to send into the chat where the link was doubted
        verdict = await public_handlers.verify_links(ctx, found)
        title = to_plain(verdict.lines[:1])[:100] or ctx.t("verify_usage")
        await query.answer([InlineQueryResultArticle(
            id="verify", title=title, description=found[0].url[:200],
            input_message_content=InputTextMessageContent(to_html(chunk_lines(verdict.lines, 4096)[0]), **TEXT))],
            cache_time=0, is_personal=True)
        return
    places = await inline_places(ctx.registry, query.query)
    start = ascii_int(query.offset, 0, 10**6) or 0
    page = places[start : start + INLINE_PAGE]
    results = [await _inline_result(ctx, place) for place in page]
    # No more pages: omit next_offset. (PTB 22.8 sent an empty string as "[]", which a client would echo back.)
    next_offset = str(start + INLINE_PAGE) if start + INLINE_PAGE < len(places) else None
    await query.answer(results, next_offset=next_offset, cache_time=60, button=_inline_button(ctx.lang))


@cache
def _inline_button(lang: str) -> InlineQueryResultsButton:
    return InlineQueryResultsButton(text=t("inline_help", lang), start_parameter="help")


async def inline_places(registry: Registry, text: str) -> list[Place]:
    """Empty query: the units that have channels, then their former provinces (people still search by them) —
    never a list of empty cards. Else: the matches (an empty unit then answers that it has none)."""
    if not text.strip():
        counts = await registry.coverage()
        formers = sorted((p for p in registry.places.places.values() if registry.places.is_renamed(p)
                          and counts[p.unit_slug]), key=lambda p: vi_sort_key(p.name))
        return [*(u for u in registry.places.units() if counts[u.slug]), *formers]
    found = registry.resolve(text)
    if found.status is Status.FOUND and found.place:
        return [found.place]
    return list(found.choices or found.suggestions)


InlineResult = InlineQueryResultArticle | InlineQueryResultCachedPhoto
# Inline results answered lately, per (view, language, place, card's file_id): PTB objects are immutable, so one
# serves every query; a new card has a new file_id, hence a new entry.
_INLINE_RESULTS: ViewMemo[InlineResult] = ViewMemo()


async def _inline_result(ctx: Context, place: Place) -> InlineResult:
    view = await ctx.registry.unit_view(place)
    file_id = await ctx.registry.store.media_file_id(view.card_key, MEDIA_PLATFORM)
    known = _INLINE_RESULTS.get(view, ctx.lang, place.slug, file_id)
    if known is not None:
        return known
    result = _make_inline_result(ctx, place, view, file_id)
    return _INLINE_RESULTS.put(view, ctx.lang, place.slug, file_id, value=result)


def _make_inline_result(ctx: Context, place: Place, view: UnitView, file_id: str | None) -> InlineResult:
    reply = public_handlers.channels_reply(ctx, view, Resolution(Status.FOUND, place))
    title = view.unit.full_name if not ctx.registry.places.is_renamed(place) else (
        f"{place.name}{ctx.t('former_suffix')} → {view.unit.name}")
    description = " · ".join(cv.channel.url for cv in view.channels) or ctx.t("no_channels", name=view.unit.name)
    markup = keyboard(reply, ctx.lang, callbacks=False)
    if file_id and visible_length(reply.lines) <= MessageLimit.CAPTION_LENGTH and entity_count(reply.lines) <= 100:
        return InlineQueryResultCachedPhoto(
            id=place.slug, photo_file_id=file_id, title=title, description=description,
            caption=to_html(reply.lines), reply_markup=markup, **CAPTION,
        )
    return InlineQueryResultArticle(
        id=place.slug, title=title, description=description[:200], reply_markup=markup,
        input_message_content=InputTextMessageContent(to_html(chunk_lines(reply.lines, 4096)[0]), **TEXT),
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error; tell the user briefly. Never a traceback in chat.

    Not after a timeout, though: the answer may still land (Telegram de-duplicates nothing), and one late
    answer beats an answer plus an apology. Nor once the Bot API stayed unreachable through every retry:
    the apology would fail too. Those get a one-line warning and nothing is sent.

    Errors with no update are getUpdates failing: run_polling hands them to the error handlers (it takes no
    error_callback of its own). They go to the OutageLog: one line per outage, not a traceback per attempt."""
    if update is None and isinstance(context.error, TelegramError):
        outage: OutageLog = context.application.bot_data["outage"]
        outage.polling_error(context.error)
        return
    if undeliverable(context.error):
        assert context.error is not None
        log.warning("reply not delivered (%s): %s", type(context.error).__name__, short_reason(context.error))
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    lang = lang_of(update.effective_user.language_code if update.effective_user else None)
    try:
        if update.callback_query:
            await update.callback_query.answer(t("error", lang))
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=0)
        elif update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, t("error", lang), **TEXT)
    except Exception:  # the error path must not raise again
        log.warning("could not tell the user about the error", exc_info=True)


# --- rendering ---------------------------------------------------------------------------------------------
def keyboard(reply: Reply, lang: str, *, callbacks: bool = True) -> InlineKeyboardMarkup | None:
    """URL buttons, choices (callback data is "<command>|<arg>", ≤ 64 bytes), paging, sharing, Confirm/Cancel."""
    rows: list[list[InlineKeyboardButton]] = [[InlineKeyboardButton(b.label, url=b.url)] for b in reply.buttons]
    if callbacks:
        # Callback data is "<command>|<arg>": a Choice that would not fit 64 bytes is refused when it is made.
        buttons = [InlineKeyboardButton(c.label[:64], callback_data=f"{c.command}{CALLBACK_SEP}{c.arg}")
                   for c in reply.choices]
        per_row = 3 if len(buttons) > 6 else 2 if len(buttons) > 1 else 1
        rows += [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
        if reply.pager:
            nav = [InlineKeyboardButton(c.label, callback_data=f"{c.command}{CALLBACK_SEP}{c.arg}")
                   for c in reply.pager.actions(lang)]
            if nav:
                rows.append(nav)
        if reply.confirm:
            token = reply.confirm.token
            rows.append([InlineKeyboardButton(t("confirm", lang), callback_data=f"yes|{token}"),
                         InlineKeyboardButton(t("cancel", lang), callback_data=f"no|{token}")])
    if reply.share_query:
        rows.append([InlineKeyboardButton(t("share", lang), switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
            query=reply.share_query, allow_user_chats=True, allow_group_chats=True, allow_channel_chats=True))])
    return InlineKeyboardMarkup(rows) if rows else None


async def send_reply(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, ctx: Context,
                     target: dict[str, Any] | None = None) -> None:
    """Send a Reply: the card as a photo with the text as caption when it fits, else the photo then the text.

    A card of several images goes as an album (sendMediaGroup takes no keyboard): its first image carries the
    reply's first line as caption, and the text follows in messages of ≤ 4096 characters, the keyboard on the
    last. `target` (see `where`) puts every message in the asker's topic, as a reply where that helps."""
    await send_with(context.bot, chat_id, reply, ctx, target)


async def send_with(bot: Any, chat_id: int, reply: Reply, ctx: Context, target: dict[str, Any] | None = None) -> None:
    """send_reply, with the bot itself (no update being answered: an alert, a digest)."""
    bot = _Targeted(bot, target) if target else bot
    rendering = _rendering(reply, ctx.lang)
    images = rendering.images
    if len(images) == 1:
        await _send_card(ctx, bot, chat_id, images[0], rendering.caption, rendering.card_markup)
    elif images:
        await _send_album(ctx, bot, chat_id, images, rendering.caption)
    for text, markup in rendering.messages:
        await bot.send_message(chat_id, text, reply_markup=markup, **TEXT)
    for name, content in reply.files:
        await bot.send_document(chat_id, InputFile(content, filename=name))


@dataclass(frozen=True, slots=True)
class _Rendering:
    """A Reply as Telegram messages: the picture and its caption (and keyboard, when the text fits the caption),
    then the text messages, the keyboard on the last."""

    images: tuple[Image, ...]
    caption: str
    card_markup: InlineKeyboardMarkup | None
    messages: tuple[tuple[str, InlineKeyboardMarkup | None], ...]


def _rendering(reply: Reply, lang: str) -> _Rendering:
    """Rendered once per Reply and language: a cached card's Reply is sent to everyone who asks for it."""
    key = ("telegram", lang)
    found = reply.rendered.get(key)
    if isinstance(found, _Rendering):
        return found
    markup = keyboard(reply, lang)
    images = images_of(reply.image)
    caption, card_markup = "", None
    text_chunks: list[list[Line]] | None = None
    if len(images) == 1:
        fits = visible_length(reply.lines) <= MessageLimit.CAPTION_LENGTH and entity_count(reply.lines) <= 100
        caption = to_html(reply.lines) if fits else to_html(reply.lines[:1])
        if fits:
            card_markup, text_chunks = markup, []
    elif images:
        caption = to_html(reply.lines[:1])
    if text_chunks is None:
        text_chunks = chunk_lines(reply.lines, MessageLimit.MAX_TEXT_LENGTH)
    messages = tuple((to_html(chunk), markup if i == len(text_chunks) - 1 else None)
                     for i, chunk in enumerate(text_chunks))
    rendering = _Rendering(images, caption, card_markup, messages)
    reply.rendered[key] = rendering
    return rendering


class _Targeted:
    """The bot, with the topic and reply target added to every send."""

    def __init__(self, bot: Any, target: dict[str, Any]) -> None:
        self._bot, self._target = bot, target

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.send_message(*args, **self._target, **kwargs)

    async def send_photo(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.send_photo(*args, **self._target, **kwargs)

    async def send_document(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.send_document(*args, **self._target, **kwargs)

    async def send_media_group(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.send_media_group(*args, **self._target, **kwargs)


async def _send_card(ctx: Context, bot: Any, chat_id: int, image: Image, caption: str,
                     markup: InlineKeyboardMarkup | None) -> None:
    """Upload a card once; later sends reuse its file_id (keyed by content hash, so a changed card re-uploads)."""
    store = ctx.registry.store
    file_id = await store.media_file_id(image.key, MEDIA_PLATFORM)
    if file_id:
        try:
            await bot.send_photo(chat_id, file_id, caption=caption, reply_markup=markup, **CAPTION)
            return
        except BadRequest as exc:  # a file_id can expire: upload again
            log.warning("cached file_id refused (%s); uploading the card again", exc.message)
    png = await image.png_async()
    sent = await bot.send_photo(chat_id, InputFile(png, filename=image.name), caption=caption, reply_markup=markup,
                               **CAPTION)
    if sent.photo:
        await store.remember_media(image.key, MEDIA_PLATFORM, sent.photo[-1].file_id)


async def _send_album(ctx: Context, bot: Any, chat_id: int, images: tuple[Image, ...], caption: str) -> None:
    """2–10 images as one album; each image's file_id is cached by its own content hash, so an album of
    known images uploads nothing, and a changed channel re-uploads only the images it is on."""
    store = ctx.registry.store
    known = [await store.media_file_id(image.key, MEDIA_PLATFORM) for image in images]

    async def media(reuse: bool) -> list[InputMediaPhoto]:
        items = []
        for i, (image, file_id) in enumerate(zip(images, known, strict=True)):
            # attach=True: an album's uploads travel as attach://<name> parts (without it PTB sends them as a
            # field of their own, and Telegram finds no media in the items).
            source: str | InputFile = file_id if reuse and file_id else InputFile(
                await image.png_async(), filename=image.name, attach=True)
            items.append(InputMediaPhoto(source, caption=caption if i == 0 else None, **CAPTION))
        return items

    try:
        sent = await bot.send_media_group(chat_id, await media(reuse=True))
    except BadRequest as exc:
        if not any(known):
            raise
        log.warning("cached file_id refused (%s); uploading the album again", exc.message)
        known = [None] * len(images)
        sent = await bot.send_media_group(chat_id, await media(reuse=False))
    for image, file_id, message in zip(images, known, sent, strict=False):
        if message.photo and message.photo[-1].file_id != file_id:
            await store.remember_media(image.key, MEDIA_PLATFORM, message.photo[-1].file_id)


# --- alerts ------------------------------------------------------------------------------------------------
class TelegramCourier:
    """Alerts and digests to Telegram chats (bot.outbox), rendered like replies; Telegram's errors → the
    worker's words."""

    platform = "telegram"

    def __init__(self, app: Application, services: Services, pace: Pace | None = None) -> None:
        self.app = app
        self.services = services
        self.pace = pace or telegram_pace()

    def cost(self, reply: Reply, lang: str) -> int:
        rendering = _rendering(reply, lang)
        return len(rendering.images) + len(rendering.messages) + len(reply.files)

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        ctx = Context(self.services.registry, lang, WEB_VISITOR, chat=chat_id,
                      public_url=self.services.settings.public_url)
        try:
            await send_with(self.app.bot, int(chat_id), reply, ctx)
        except RetryAfter as exc:
            wait = exc.retry_after
            raise RetryLater(exc.message, wait if isinstance(wait, int | float) else wait.total_seconds()) from exc
        except ChatMigrated as exc:
            raise ChatMoved(str(exc.new_chat_id)) from exc
        except Forbidden as exc:  # kicked from the group, blocked by the user, deactivated
            raise ChatGone(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise ChatGone(exc.message) from exc
            raise Rejected(exc.message) from exc
        except TimedOut:
            return  # it may still land: counted as sent, never sent twice
        except NetworkError as exc:  # 5xx through every retry, no connection
            raise RetryLater(short_reason(exc)) from exc


# --- running -----------------------------------------------------------------------------------------------
class _RedactToken(logging.Filter):
    """Belt and braces: whatever logs a Bot API URL, the token never reaches the log."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._token:
            return True
        if self._token in record.getMessage():
            record.msg = record.getMessage().replace(self._token, "<token>")
            record.args = None
        if record.exc_info and not record.exc_text:  # PTB puts the token in some exception messages
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self._token, "<token>")
        return True


# What Telegram accepts as a webhook's secret_token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class WebhookSecretError(ValueError):
    """BOT_WEBHOOK_SECRET has characters (or a length) Telegram refuses."""


def webhook_secret(settings: Settings) -> str:
    """The configured secret, checked; without one, a random one for this run. A webhook without a secret
    would take any forged POST as coming from Telegram, so there is no such thing."""
    if settings.webhook_secret:
        if not _SECRET_TOKEN.fullmatch(settings.webhook_secret):
            raise WebhookSecretError("BOT_WEBHOOK_SECRET must be 1-256 characters, only A-Z a-z 0-9 _ -")
        return settings.webhook_secret
    log.warning("BOT_WEBHOOK_SECRET is not set: generated a random secret for this run and registered it with "
                "the webhook; set BOT_WEBHOOK_SECRET to keep one across restarts or instances")
    return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -


def polling_error_callback(app: Application) -> Callable[[TelegramError], None]:
    """What run_polling gives updater.start_polling (PTB 22.8): getUpdates errors go to the error handlers, with
    no update. For driving the Updater directly (tests) the way run_polling does."""

    def forward(error: TelegramError) -> None:
        app.create_task(app.process_error(error=error, update=None))

    return forward


def redact_token_in_logs(token: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(token))
