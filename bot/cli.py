"""Command-line admin tools: export, import (dry run unless --apply), backup, restore. The local user is admin 0."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

from bot.changes import Changes, Outcome
from bot.config import Settings
from bot.i18n import EN, describe_refusal, describe_row
from bot.runtime import open_registry
from bot.store import copy_database, inspect_file
from bot.transfer import channels_csv, export_registry, plan_import

CLI_ACTOR = 0


async def export(settings: Settings, file: str) -> int:
    registry = await open_registry(settings)
    try:
        data = await export_registry(registry.store)
    finally:
        await registry.store.close()
    target = Path(file)
    await asyncio.to_thread(target.write_text, json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    await asyncio.to_thread(target.with_suffix(".csv").write_bytes, channels_csv(data))
    print(f"{len(data['channels'])} channels, {len(data['notices'])} notices → {target}, {target.with_suffix('.csv')}")
    return 0


async def import_(settings: Settings, file: str, *, apply: bool) -> int:
    registry = await open_registry(settings)
    try:
        content = await asyncio.to_thread(Path(file).read_bytes)
        plan = await plan_import(content, registry.store, registry.places)
        print(f"add {len(plan.added)}, change {len(plan.changed)}, unchanged {plan.unchanged}, "
              f"refused {len(plan.refused)}")
        for sign, rows in (("+", plan.added), ("~", plan.changed)):
            for row in rows:
                print(f"{sign} {describe_row(row.kind, row.number, EN)}: {row.text}")
        for r in plan.refused:
            reason = describe_refusal(r.code, r.detail, r.link_code, r.link_detail, EN)
            print(f"✗ {describe_row(r.row.kind, r.row.number, EN)}: {reason}")
        if not apply or not plan.has_changes:
            print("dry run: nothing written" if not apply else "nothing to apply")
            return 1 if plan.refused else 0
        changes = Changes(registry)
        token = await changes.propose(CLI_ACTOR, "import", plan.payload)
        result = await changes.confirm(token, CLI_ACTOR, "cli")
        print("applied" if result.outcome == Outcome.APPLIED else f"not applied: {result.outcome} {result.detail}")
        return 0 if result.outcome == Outcome.APPLIED else 1
    finally:
        await registry.store.close()


async def backup(settings: Settings, file: str) -> int:
    registry = await open_registry(settings)
    try:
        await registry.store.backup(file)
    finally:
        await registry.store.close()
    print(f"backup written to {file}", file=sys.stderr)
    return 0


def restore(settings: Settings, file: str) -> int:
    """Replace BOT_DB_PATH by a checked copy of a backup. Stop the bot first: it would keep its old file open."""
    source, target = Path(file), settings.db_path
    problem = inspect_file(source)
    if problem is None and source.resolve() == target.resolve():
        problem = "it is the database itself"
    if problem is not None:
        print(f"restore refused: {file}: {problem}", file=sys.stderr)
        return 2
    try:
        copy_database(source, target)
    except (OSError, sqlite3.Error) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 2
    print(f"restored {file} into {target}; start the bot again", file=sys.stderr)
    return 0
