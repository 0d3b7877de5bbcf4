"""The command table: what each command means, for every front-end.

A handler takes a Context and the command's argument text and returns a Reply. Front-ends look commands up
here; adding a command is one function and one line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.replies import Reply
from handlers import public
from handlers.context import Context

Handler = Callable[[Context, str], Awaitable[Reply]]

PUBLIC_COMMANDS: dict[str, Handler] = {
    "start": public.start,
    "help": public.help_,
    "channels": public.channels,
    "notice": public.notice,
    "verify": public.verify,
}

COMMANDS: dict[str, Handler] = {**PUBLIC_COMMANDS}

__all__ = ["COMMANDS", "PUBLIC_COMMANDS", "Context", "Handler"]


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
