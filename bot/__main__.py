"""Command line: run the bot (Telegram when TELEGRAM_BOT_TOKEN is set, else the console), and admin tools.

Usage:
    python -m bot                      # Telegram with a token, the console without
    python -m bot console              # the console, always
    python -m bot export FILE          # the registry as JSON
    python -m bot import FILE [--apply]
    python -m bot ingest FILE [--json] [--apply]   # read a notice (.txt .md .pdf .docx) into a draft entry
    python -m bot backup FILE          # a consistent copy of the SQLite file, safe while the bot runs
    python -m bot restore FILE         # replace BOT_DB_PATH by a checked backup (stop the bot first)
    python -m bot web                  # the public directory alone, on BOT_HTTP_LISTEN:BOT_HTTP_PORT
    python -m bot web --export DIR     # the public directory as static files (any web server, bucket or CDN)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="Telegram when TELEGRAM_BOT_TOKEN is set, else the console")
    sub.add_parser("console", help="the commands on stdin/stdout")
    exp = sub.add_parser("export", help="write the registry as JSON (and a CSV of channels beside it)")
    exp.add_argument("file")
    imp = sub.add_parser("import", help="validate an export file; with --apply, apply it in one transaction")
    imp.add_argument("file")
    imp.add_argument("--apply", action="store_true")
    ing = sub.add_parser("ingest", help="read an official notice into a draft entry; --apply stores it (audited)")
    ing.add_argument("file")
    ing.add_argument("--json", action="store_true", help="print the draft as JSON")
    ing.add_argument("--apply", action="store_true", help="store it as one audited, undoable change")
    bak = sub.add_parser("backup", help="a consistent copy of the database (SQLite online backup)")
    bak.add_argument("file")
    res = sub.add_parser("restore", help="replace BOT_DB_PATH by a checked backup; stop the bot first")
    res.add_argument("file")
    web = sub.add_parser("web", help="serve the public directory alone (BOT_HTTP_LISTEN, BOT_HTTP_PORT)")
    web.add_argument("--export", metavar="DIR", help="write it as static files into DIR instead, and stop")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    command = args.command or "run"
    if command == "run" and (settings.token or settings.zalo_token):
        from bot.app import serve

        return asyncio.run(serve(settings))
    if command == "web":
        from bot.web.cli import export_to, serve

        if args.export:
            return asyncio.run(export_to(settings, args.export))
        return asyncio.run(serve(settings))
    from bot.frontends.console import run_console

    if command in ("run", "console"):
        if command == "run":
            logging.getLogger(__name__).info("TELEGRAM_BOT_TOKEN is not set: starting the console")
        asyncio.run(run_console(settings))
        return 0
    from bot.cli import backup, export, import_, ingest, restore

    if command == "export":
        return asyncio.run(export(settings, args.file))
    if command == "import":
        return asyncio.run(import_(settings, args.file, apply=args.apply))
    if command == "ingest":
        return asyncio.run(ingest(settings, args.file, as_json=args.json, apply=args.apply))
    if command == "backup":
        return asyncio.run(backup(settings, args.file))
    if command == "restore":
        return restore(settings, args.file)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
