"""The one dispatcher: what arrived, in neutral form, → the Replies to render. Decided once, here, for every
front-end: command parsing, unknown commands, guided conversations, numbered choices, typed confirmations,
uploads (fetched only once the size and the role are checked) and the error policy (never a traceback in chat).

A front-end maps its platform's update to one Input, builds a Context (who, where, in which language by
default, what it can show) and renders what `dispatch` returns. Whether a front-end has buttons is the only
thing that changes the conversation: without them (`Context.typed`), a reply's actions are numbered and a
bare number picks one, and a preview waits for "có" / "yes" typed (or "không" / "no" / "/cancel").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.i18n import t
from bot.replies import Reply, actions
from bot.text import fold
from bot.userstate import UserState
from handlers import admin, ingest, public, subscriptions
from handlers.commands import COMMANDS
from handlers.context import Context

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
NOTICE_FILES = (".txt", ".md", ".pdf", ".docx")
YES_WORDS = frozenset({"co", "yes", "y", "dong y", "ok", "xac nhan", "confirm"})
NO_WORDS = frozenset({"khong", "no", "n", "huy", "cancel", "/cancel"})
# Keys of a conversation's state that belong to the dispatcher (the rest belong to the handlers).
MENU, WAITING = "menu", "confirm"


_COMMAND = re.compile(r"/(\S+)\s*(.*)", re.DOTALL)  # the argument may start on the next line


@dataclass(frozen=True)
class CommandInput:
    name: str  # lower case, without "/" or "@bot"
    args: str


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class PickInput:
    """An action picked: a button pressed (its command and argument), on a front-end with buttons."""

    command: str
    arg: str


@dataclass(frozen=True)
class UploadInput:
    """A file sent: its name and size as announced; `fetch` downloads it, and is called only once allowed."""

    name: str
    size: int
    fetch: Callable[[], Awaitable[bytes]]
    caption: str = ""


@dataclass(frozen=True)
class ChatEnded:
    """The platform says the bot can no longer write to this chat (removed from the group, blocked)."""

    reason: str


@dataclass(frozen=True)
class ChatMoved:
    """The platform says this group goes on under another id (a Telegram group became a supergroup)."""

    new_chat: str


Input = CommandInput | TextInput | PickInput | UploadInput
ChatNews = ChatEnded | ChatMoved


def parse_command(text: str, bot_username: str = "") -> CommandInput | None:
    """"/channels@MyBot cần thơ" → CommandInput("channels", "cần thơ"); None when `text` is not a command for
    us (not a command, or one addressed to another bot)."""
    found = _COMMAND.match(text.strip())
    if found is None:
        return None
    name, _, target = found[1].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return CommandInput(name.lower(), found[2].strip())


def input_of_text(text: str, bot_username: str = "") -> CommandInput | TextInput:
    """A typed line: a command, or plain text."""
    return parse_command(text, bot_username) or TextInput(text)


class Dispatcher:
    def __init__(self, state: UserState) -> None:
        self.state = state

    async def chat_news(self, ctx: Context, news: ChatNews) -> None:
        """What the platform says about the chat itself: nothing to answer (there may be no one to answer)."""
        if isinstance(news, ChatEnded):
            await subscriptions.chat_ended(ctx, news.reason)
        else:
            await subscriptions.chat_moved(ctx, news.new_chat)

    async def dispatch(self, ctx: Context, event: Input) -> list[Reply]:
        """The replies to `event`, in order. Never raises for a handler's failure: it becomes an apology."""
        stored = self.state.language(ctx.user)
        if stored:
            ctx.lang = stored
        ctx.session = await self.state.conversation(ctx.user, ctx.chat)
        try:
            replies = await self._answer(ctx, event)
        except Exception:  # the error policy: logged with its traceback, a short apology in chat
            log.exception("handling %s failed", type(event).__name__)
            replies = [Reply().add(t("error", ctx.lang))]
        if ctx.typed:
            self._remember_actions(ctx, replies)
        await self.state.save(ctx.user, ctx.chat, ctx.session)
        for reply in replies:
            if reply.language:
                await self.state.set_language(ctx.user, reply.language)
        return replies

    async def _answer(self, ctx: Context, event: Input) -> list[Reply]:
        if isinstance(event, UploadInput):
            return [await self._upload(ctx, event)]
        if isinstance(event, PickInput):
            return [await self._run(ctx, event.command, event.arg)]
        if isinstance(event, CommandInput):
            if ctx.typed and WAITING in ctx.session and event.name not in ("set", "yes", "no"):
                # Another command leaves the preview: it is cancelled and said so ("/cancel" says only that).
                # "/set" corrects an /ingest draft (a new preview follows).
                cancelled = await self._typed_answer(ctx, confirm=False)
                if event.name == "cancel":
                    return [cancelled]
                return [cancelled, await self._run(ctx, event.name, event.args)]
            return [await self._run(ctx, event.name, event.args)]
        return await self._text(ctx, event.text)

    async def _run(self, ctx: Context, name: str, args: str) -> Reply:
        spec = COMMANDS.get(name)
        if spec is None:
            return Reply().add(ctx.t("unknown_command", cmd="/" + name[:40]))
        return await spec(ctx, args)

    async def _text(self, ctx: Context, text: str) -> list[Reply]:
        if ctx.typed:
            words = fold(text).strip().strip(".!").strip()
            if WAITING in ctx.session and (words in YES_WORDS or words in NO_WORDS):
                return [await self._typed_answer(ctx, confirm=words in YES_WORDS)]
            if re.fullmatch(r"[0-9]{1,3}", words) and ctx.session.get(MENU):
                return [await self._pick(ctx, int(words))]
            if WAITING in ctx.session:  # anything else leaves the preview: it is cancelled, and said so
                cancelled = await self._typed_answer(ctx, confirm=False)
                return [cancelled, await route_text(ctx, text)]
        return [await route_text(ctx, text)]

    async def _typed_answer(self, ctx: Context, *, confirm: bool) -> Reply:
        token = str(ctx.session.pop(WAITING))
        return await self._run(ctx, "yes" if confirm else "no", token)

    async def _pick(self, ctx: Context, number: int) -> Reply:
        menu: list[list[str]] = ctx.session[MENU]
        if not 1 <= number <= len(menu):
            return Reply().add(ctx.t("pick_unknown", number=number, count=len(menu)))
        command, arg = menu[number - 1]
        return await self._run(ctx, command, arg)

    def _remember_actions(self, ctx: Context, replies: list[Reply]) -> None:
        """Without buttons, the last reply with actions is what a number picks from, and a preview waits for
        a typed answer."""
        for reply in replies:
            picks = actions(reply, ctx.lang)
            if picks:
                ctx.session[MENU] = [[c.command, c.arg] for c in picks]
            if reply.confirm is not None:
                ctx.session[WAITING] = reply.confirm.token

    async def _upload(self, ctx: Context, upload: UploadInput) -> Reply:
        """A notice to read (/ingest) or an export to import. The size and the role are checked before the
        file is fetched: a stranger's 2 GB upload costs nothing."""
        if upload.size > MAX_UPLOAD_BYTES:
            return Reply().add(ctx.t("import_too_big"))
        if not await admin.changes(ctx).is_admin(ctx.user, ctx.super_admins):
            return Reply().add(ctx.t("not_admin"))
        caption = parse_command(upload.caption, ctx.bot_username)
        as_notice = (caption is not None and caption.name == "ingest") or ingest.collecting(ctx)
        content = await upload.fetch()
        if as_notice:
            return await ingest.ingest_file(ctx, upload.name, content)
        return await admin.import_file(ctx, content)


async def route_text(ctx: Context, text: str) -> Reply:
    """A plain message: the next answer of a guided conversation, or the next part of a notice being pasted
    (/ingest … /done), if one is open; else a public question."""
    if "addnotice" in ctx.session:
        return await admin.continue_conversation(ctx, text)
    if ingest.collecting(ctx):
        return await ingest.continue_paste(ctx, text)
    return await public.text(ctx, text)
