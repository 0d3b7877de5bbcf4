"""Command-line admin tools: export, import (dry run unless --apply), ingest, backup, restore. The local user is
admin 0."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.changes import Changes, Outcome
from bot.config import Settings
from bot.i18n import EN, describe_refusal, describe_row, t
from bot.ingest.draft import Draft
from bot.people import CONSOLE, Person
from bot.runtime import open_registry
from bot.store import StoreError, copy_database, inspect_file
from bot.transfer import channels_csv, export_registry, plan_import

CLI_ACTOR = Person(CONSOLE, "cli")  # changes made from the command line (import, ingest)


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


async def ingest(settings: Settings, file: str, *, as_json: bool, apply: bool) -> int:
    """Read a notice file and print its draft (a readable preview, or --json); --apply stores it as one audited,
    undoable change by the CLI user. Exit 0 when read (and applied), 1 when not applied, 2 when unreadable."""
    from bot.ingest import UnreadableFile, read_file
    from bot.ingest.apply import blocking, conflicts, payload
    from bot.validate import Invalid

    registry = await open_registry(settings)
    try:
        try:
            content = await asyncio.to_thread(Path(file).read_bytes)
            draft = read_file(file, content, registry.places)
        except OSError as exc:
            print(f"cannot read {file}: {exc.strerror}", file=sys.stderr)
            return 2
        except UnreadableFile as exc:
            print(f"{file}: {t(f'ingest_{exc.code}', EN, detail=exc.detail)}", file=sys.stderr)
            return 2
        if as_json:
            print(json.dumps(draft.to_json(), ensure_ascii=False, indent=1))
        else:
            print(describe_draft(draft))
        if not apply:
            return 0
        taken = await conflicts(draft, registry)
        if taken:
            for url, owner in taken:
                print(f"refused: {url} is already registered to {owner}", file=sys.stderr)
            return 1
        if blocking(draft):
            print(f"not applied: missing {', '.join(blocking(draft))}", file=sys.stderr)
            return 1
        try:
            data = payload(draft, registry)
        except Invalid as exc:
            print(f"not applied: {exc}", file=sys.stderr)
            return 1
        changes = Changes(registry)
        token = await changes.propose(CLI_ACTOR, "ingest", data)
        result = await changes.confirm(token, CLI_ACTOR, "cli")
        applied = result.outcome == Outcome.APPLIED
        print("applied" if applied else f"not applied: {result.outcome} {result.detail}", file=sys.stderr)
        return 0 if applied else 1
    finally:
        await registry.store.close()


def describe_draft(draft: Draft) -> str:
    """The draft as lines of "field: value", "—" for what the notice does not give."""

    def v(value: object) -> str:
        return str(value) if value not in (None, "", []) else "—"

    date = "/".join(str(x) for x in (draft.day or "…", draft.month or "…", draft.year or "…"))
    lines = [
        f"unit: {v(draft.unit and f'{draft.unit.name} ({draft.unit.slug})')}",
        f"former province: {v(draft.former_province and draft.former_province.slug)}",
        f"issuer: {v(draft.issuer)}", f"number: {v(draft.number)}", f"place: {v(draft.place)}", f"date: {date}",
        f"subject: {v(draft.subject)}", f"recipients: {v('; '.join(draft.recipients))}",
    ]
    for c in draft.channels:
        extra = f", live from {c.live_from}" if c.live_from else ""
        extra += f", superseded by {c.superseded_by}" if c.superseded_by else ""
        lines.append(f"channel: [{c.platform}, {c.status}{extra}] {v(c.name)}: {c.url}  (written: {c.as_written})")
    m = draft.managing_unit
    lines.append(f"managing unit: {v(m and m.name)}; address: {v(m and m.address)}; phone: {v(m and m.phone)}; "
                 f"e-mails: {v(m and ', '.join(m.emails))}")
    lines.append(f"signer: {v(draft.signer_name)}; title: {v(draft.signer_title)}")
    for r in draft.refused_links:
        lines.append(f"refused link: {r.text} — {t(f'link_{r.reason}', EN, detail=r.detail)}")
    for url in draft.contacts:
        lines.append(f"contact (not a channel): {url}")
    lines.append(f"missing: {v(', '.join(draft.missing))}")
    return "\n".join(lines)


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
    except (OSError, StoreError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 2
    print(f"restored {file} into {target}; start the bot again", file=sys.stderr)
    return 0
