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

from bot.app import App, Services
from bot.config import Settings
from bot.frontends.plain import render
from bot.i18n import VI, t
from bot.pacing import console_pace
from bot.people import CONSOLE, CONSOLE_USER
from bot.replies import Reply, images_of
from handlers import Context
from handlers.dispatch import NOTICE_FILES, CommandInput, Input, UploadInput, input_of_text

log = logging.getLogger(__name__)


class Console:
    """Lines → the dispatcher; replies → plain text (bot.frontends.plain), images and files written to disk."""

    def __init__(self, services: Services, out: TextIO, lang: str = VI) -> None:
        self.services = services
        self.media_dir = services.settings.media_dir
        self.out = out
        self.lang = lang

    def context(self) -> Context:
        settings = self.services.settings
        return Context(self.services.registry, self.lang, CONSOLE_USER, "console", chat="console",
                       super_admins=frozenset({CONSOLE_USER}), public_url=settings.public_url, typed=True)

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            with self.services.traffic.answering():
                ctx = self.context()
                event = self._input(line)
                replies = [event] if isinstance(event, Reply) else await self.services.dispatcher.dispatch(ctx, event)
                for reply in replies:
                    self.render(reply, ctx.lang)
        except Exception:  # the dispatcher answers every handler failure; this is the renderer's own
            log.exception("console command failed: %r", line)
            self._print(t("error", self.lang))

    def _input(self, line: str) -> Input | Reply:
        """A line as the dispatcher's input. "/import FILE" and "/ingest FILE.pdf" send a local file, the way
        a document is sent on Telegram (a file that cannot be read is said so here)."""
        event = input_of_text(line)
        if isinstance(event, CommandInput) and event.args and (
                event.name == "import" or (event.name == "ingest" and event.args.lower().endswith(NOTICE_FILES))):
            file = Path(event.args).expanduser()
            try:
                size = file.stat().st_size
            except OSError:
                return Reply().add(t("file_unreadable", self.lang, path=event.args))
            return UploadInput(file.name, size, lambda: asyncio.to_thread(file.read_bytes),
                               "/ingest" if event.name == "ingest" else "")
        return event

    def render(self, reply: Reply, lang: str) -> None:
        for text in render(reply, lang):
            self._print(text)
        for image in images_of(reply.image):  # a card of many channels is several images
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / f"{image.name.removesuffix('.png')}-{image.key[:12]}.png"
            if not path.exists():
                path.write_bytes(image.png)
            self._print(f"[image] {path}")
        for name, content in reply.files:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / name
            path.write_bytes(content)
            self._print(f"[file] {path}")
        self._print("")

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class ConsoleCourier:
    """Alerts to the console's own subscriptions, printed like replies."""

    platform = CONSOLE

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pace = console_pace()

    def cost(self, reply: Reply, lang: str) -> int:
        return 1

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        self.console.render(reply, lang)


async def run_console(settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    if stdin is sys.stdin and isinstance(stdin, io.TextIOWrapper):
        # A pipe or a terminal in another encoding can send bytes that are not UTF-8: replace, never crash.
        stdin.reconfigure(encoding="utf-8", errors="replace")
    async with App(settings, web_server=False) as app:
        console = Console(app.services, stdout)
        await app.start_outbox([ConsoleCourier(console)])  # a /subscribe here is told here
        interactive = stdin.isatty()
        if interactive:
            covered = sum(1 for n in (await app.services.registry.coverage()).values() if n)
            stdout.write(t("welcome", VI, covered=covered) + "\n/help\n\n")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            await console.handle_line(line)
        if app.outbox is not None:
            await app.outbox.drain()  # what the last change owes this console, before it exits
