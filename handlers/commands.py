"""Commands, each declared once where it is written, with what the front-ends and the dispatcher need to know.

    @command("history", admin=True, menu=60)
    async def history(ctx: Context, args: str) -> Reply: ...

`menu` places a command in the menus (Telegram's command list; its order), `admin` / `super_admin` /
`private` are checked by the command itself whenever it runs (a menu entry is a convenience, not a
permission), and the help text is `help_<name>` (else `menu_<name>`) from the string resources.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.changes import Changes
from bot.i18n import has, t
from bot.replies import Reply, UrlButton, bold
from handlers.context import Context

Handler = Callable[[Context, str], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    run: Handler
    menu: int | None = None  # position in the menus; None: not listed (still works when typed)
    admin: bool = False
    super_admin: bool = False
    private: bool = False  # answers are files or a conversation: in a group, point to a private chat

    @property
    def listed_for_admins_only(self) -> bool:
        return self.admin or self.super_admin

    def description(self, lang: str) -> str:
        """The menu line: the help text after its "— ", at most 256 characters (Telegram's limit)."""
        text = t(f"help_{self.name}", lang) if has(f"help_{self.name}") else t(f"menu_{self.name}", lang)
        return text.split("— ", 1)[-1][:256]

    async def __call__(self, ctx: Context, args: str) -> Reply:
        refused = await self.refusal(ctx)
        return refused if refused is not None else await self.run(ctx, args)

    async def refusal(self, ctx: Context) -> Reply | None:
        """Why this caller may not run this command here, as a reply; None when they may."""
        if self.private and not ctx.private:
            reply = refusal(ctx, "private_only")
            if ctx.bot_username:
                reply.buttons = [UrlButton(ctx.t("open_private"), f"https://t.me/{ctx.bot_username}")]
            return reply
        if self.super_admin and ctx.user not in ctx.super_admins:
            return Reply().add(bold(ctx.t("not_super_admin")))
        if self.admin and not await Changes(ctx.registry).is_admin(ctx.user, ctx.super_admins):
            return refusal(ctx, "not_admin")
        return None


COMMANDS: dict[str, Command] = {}


def command(name: str, *, menu: int | None = None, admin: bool = False, super_admin: bool = False,
            private: bool = False) -> Callable[[Handler], Handler]:
    """Declare `name` as a command run by the decorated function (which stays callable as it was)."""

    def register(func: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"command /{name} declared twice")
        COMMANDS[name] = Command(name, func, menu, admin, super_admin, private)
        return func

    return register


def menu(*, admin: bool) -> list[Command]:
    """The commands a user's menu lists, in menu order: the public ones, then (for admins) the admin ones."""
    listed = sorted((c for c in COMMANDS.values() if c.menu is not None), key=lambda c: c.menu or 0)
    return [c for c in listed if admin or not c.listed_for_admins_only]


def refusal(ctx: Context, key: str) -> Reply:
    """A refusal: nothing happened. To a button pressed in a group it is an alert, not a message to everyone."""
    reply = Reply().add(bold(ctx.t(key)))
    reply.alert = True
    return reply
