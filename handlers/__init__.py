"""What each command means, for every front-end.

A command is a function taking a Context and its argument text and returning a Reply, declared where it is
written with `@command` (handlers/commands.py); the dispatcher (handlers/dispatch.py) turns what arrived into
Replies. Importing this package registers every command.
"""

from __future__ import annotations

from handlers import admin, ingest, poster, public, reports, subscriptions, upkeep
from handlers.commands import COMMANDS, Command, Handler, menu
from handlers.context import Context
from handlers.dispatch import Dispatcher

__all__ = ["COMMANDS", "Command", "Context", "Dispatcher", "Handler", "admin", "ingest", "menu", "poster", "public",
           "reports", "subscriptions", "upkeep"]
