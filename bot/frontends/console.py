"""The console front-end: the same commands on stdin/stdout, replies as plain text, images as PNG files.

Works interactively (with a prompt) and with piped input (exits at EOF). Never shows a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.i18n import VI, t
from bot.replies import Reply, to_plain
from bot.runtime import open_registry
from bot.services import Registry
from handlers import COMMANDS, Context, split_command
from handlers.public import text as text_handler
from handlers.public import units_menu

log = logging.getLogger(__name__)
CONSOLE_USER_ID = 0  # the local user: a super-admin in the console


class Console:
    def __init__(self, registry: Registry, media_dir: Path, out: TextIO, lang: str = VI) -> None:
        self.registry = registry
        self.media_dir = media_dir
        self.out = out
        self.ctx = Context(registry, lang, CONSOLE_USER_ID, "console", super_admins=frozenset({CONSOLE_USER_ID}))

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            for reply in await self._dispatch(line):
                self.render(reply)
        except Exception:  # a bad line must not end the session: log it, say it briefly
            log.exception("console command failed: %r", line)
            self._print(t("error", self.ctx.lang))

    async def _dispatch(self, line: str) -> list[Reply]:
        parsed = split_command(line)
        if parsed is None:
            return [await text_handler(self.ctx, line)]
        name, args = parsed
        handler = COMMANDS.get(name)
        if handler is None:
            return [Reply().add(t("unknown_command", self.ctx.lang, cmd="/" + name))]
        reply = await handler(self.ctx, args)
        if reply.page and reply.page[0] == "units":
            # No buttons to page with here: show every page at once.
            return [reply] + [units_menu(self.ctx, p) for p in range(2, reply.page[2] + 1)]
        return [reply]

    def render(self, reply: Reply) -> None:
        text = to_plain(reply.lines)
        if text:
            self._print(text)
        for choice in reply.choices:
            self._print(f"  → /{choice.command} {choice.arg}  ({choice.label})")
        if reply.image:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / f"{reply.image.name.removesuffix('.png')}-{reply.image.key[:12]}.png"
            if not path.exists():
                path.write_bytes(reply.image.png)
            self._print(f"[image] {path}")
        self._print("")

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


async def run_console(settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    registry = await open_registry(settings)
    console = Console(registry, settings.media_dir, stdout)
    interactive = stdin.isatty()
    if interactive:
        stdout.write(t("welcome", VI) + "\n/help\n\n")
    loop = asyncio.get_running_loop()
    try:
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            await console.handle_line(line)
    finally:
        await registry.store.close()
