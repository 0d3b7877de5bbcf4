"""The console front-end: the same commands on stdin/stdout, replies as plain text, images as PNG files.

Works interactively (with a prompt) and with piped input (exits at EOF). Never shows a traceback.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.backups import start_backups
from bot.config import Settings
from bot.i18n import VI, t
from bot.people import CONSOLE_USER
from bot.replies import Reply, images_of, to_plain
from bot.runtime import open_registry
from bot.services import Registry
from bot.watch import RegistryWatcher
from handlers import COMMANDS, Context, admin, ingest, route_text, split_command
from handlers.public import units_menu

log = logging.getLogger(__name__)


class Console:
    def __init__(self, registry: Registry, media_dir: Path, out: TextIO, lang: str = VI) -> None:
        self.registry = registry
        self.media_dir = media_dir
        self.out = out
        self.ctx = Context(registry, lang, CONSOLE_USER, "console", super_admins=frozenset({CONSOLE_USER}))
        self._awaiting_confirmation: str | None = None

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line and self._awaiting_confirmation is None:
            return
        try:
            # "/set …" corrects an /ingest draft: it answers with a new preview (and voids this one) instead.
            if self._awaiting_confirmation is not None and not line.startswith("/set "):
                token, self._awaiting_confirmation = self._awaiting_confirmation, None
                answer = admin.confirm if line.lower() in ("yes", "y", "có", "co") else admin.cancel_change
                self.render(await answer(self.ctx, token))
                return
            for reply in await self._dispatch(line):
                self.render(reply)
        except Exception:  # a bad line must not end the session: log it, say it briefly
            log.exception("console command failed: %r", line)
            self._print(t("error", self.ctx.lang))

    async def _dispatch(self, line: str) -> list[Reply]:
        parsed = split_command(line)
        if parsed is None:
            return [await route_text(self.ctx, line)]
        name, args = parsed
        if name == "import" and args:
            try:
                content = await asyncio.to_thread(_read, args)
            except OSError:
                return [Reply().add(t("file_unreadable", self.ctx.lang, path=args))]
            return [await admin.import_file(self.ctx, content)]
        if name == "ingest" and args.lower().endswith((".txt", ".md", ".pdf", ".docx")):
            try:  # /ingest FILE: a notice file, as a document captioned /ingest is on Telegram
                content = await asyncio.to_thread(_read, args)
            except OSError:
                return [Reply().add(t("file_unreadable", self.ctx.lang, path=args))]
            return [await ingest.ingest_file(self.ctx, args, content)]
        handler = COMMANDS.get(name)
        if handler is None:
            return [Reply().add(t("unknown_command", self.ctx.lang, cmd="/" + name))]
        reply = await handler(self.ctx, args)
        if reply.page and reply.page[0] == "units":
            # No buttons to page with here: show every page at once.
            return [reply] + [await units_menu(self.ctx, p) for p in range(2, reply.page[2] + 1)]
        return [reply]

    def render(self, reply: Reply) -> None:
        text = to_plain(reply.lines)
        if text:
            self._print(text)
        for choice in reply.choices:
            self._print(f"  → /{choice.command} {choice.arg}  ({choice.label})")
        if self.ctx.public_url:  # the unit's page on the public directory, as a line (the console has no buttons)
            for button in reply.buttons:
                if button.url.startswith(self.ctx.public_url + "/"):
                    self._print(f"  🌐 {button.url}")
        for image in images_of(reply.image):  # a card of many channels is several images
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / f"{image.name.removesuffix('.png')}-{image.key[:12]}.png"
            if not path.exists():
                path.write_bytes(image.png)
            self._print(f"[image] {path}")
        for name, content in ([reply.document] if reply.document else []) + reply.extra_documents:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / name
            path.write_bytes(content)
            self._print(f"[file] {path}")
        if reply.confirm:
            self._awaiting_confirmation = reply.confirm.token
            self._print(t("confirm_console", self.ctx.lang))
        self._print("")

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _read(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


async def run_console(settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    if stdin is sys.stdin and isinstance(stdin, io.TextIOWrapper):
        # A pipe or a terminal in another encoding can send bytes that are not UTF-8: replace, never crash.
        stdin.reconfigure(encoding="utf-8", errors="replace")
    registry = await open_registry(settings)
    backups = start_backups(settings, registry.store)
    watcher = RegistryWatcher(registry)
    await watcher.start()
    console = Console(registry, settings.media_dir, stdout)
    console.ctx.public_url = settings.public_url  # cards then name their page on the public directory
    interactive = stdin.isatty()
    if interactive:
        covered = sum(1 for n in (await registry.coverage()).values() if n)
        stdout.write(t("welcome", VI, covered=covered) + "\n/help\n\n")
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
        if backups is not None:
            await backups.stop()
        await watcher.stop()
        await registry.store.close()
