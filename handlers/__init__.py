"""The command table: what each command means, for every front-end.

A handler takes a Context and the command's argument text and returns a Reply. Front-ends look commands up
here; adding a command is one function and one line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.replies import Reply
from handlers import admin, ingest, poster, public, reports
from handlers.context import Context

Handler = Callable[[Context, str], Awaitable[Reply]]

PUBLIC_COMMANDS: dict[str, Handler] = {
    "start": public.start,
    "help": public.help_,
    "channels": public.channels,
    "notice": public.notice,
    "verify": public.verify,
    "report": reports.report,
    "poster": poster.poster,
}

ADMIN_COMMANDS: dict[str, Handler] = {
    "addchannel": admin.addchannel,
    "editchannel": admin.editchannel,
    "retirechannel": admin.retirechannel,
    "addnotice": admin.addnotice,
    "ingest": ingest.ingest,
    "history": admin.history,
    "undo": admin.undo,
    "export": admin.export,
    "import": admin.import_command,
    "admins": admin.admins,
    "grant": admin.grant,
    "revoke": admin.revoke,
    "reports": reports.reports,
}

# Not in any menu: /cancel ends a guided conversation; "yes"/"no" are what Confirm / Cancel buttons send.
# /done ends a pasted notice (/ingest); /set corrects the notice's draft before its Confirm.
OTHER_COMMANDS: dict[str, Handler] = {"cancel": admin.cancel, "yes": admin.confirm, "no": admin.cancel_change,
                                      "done": ingest.done, "set": ingest.set_field}

COMMANDS: dict[str, Handler] = {**PUBLIC_COMMANDS, **ADMIN_COMMANDS, **OTHER_COMMANDS}

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "PUBLIC_COMMANDS", "Context", "Handler", "route_text"]


async def route_text(ctx: Context, text: str) -> Reply:
    """A plain message: the next answer of a guided conversation, or the next part of a notice being pasted
    (/ingest … /done), if one is open; else a public question."""
    if "addnotice" in ctx.session:
        return await admin.continue_conversation(ctx, text)
    if ingest.collecting(ctx):
        return await ingest.continue_paste(ctx, text)
    return await public.text(ctx, text)


def split_command(text: str, bot_username: str = "") -> tuple[str, str] | None:
    """"/channels@MyBot cần thơ" → ("channels", "cần thơ"); None when `text` is not a command for us."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), args.strip()
