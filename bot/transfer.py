"""Export the registry as JSON (+ a CSV of channels), and validate an import row by row before applying it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.links import LinkError, parse_link
from bot.places import Gazetteer
from bot.store import Store, now_iso
from bot.validate import Invalid, as_written, clean_text, iso_day, notice_record

FORMAT = "kenh-chinh-thuc/1"
STATUSES = ("active", "superseded", "retired")


async def export_registry(store: Store) -> dict[str, Any]:
    """Every channel (any status) and every notice, with links between them by notice ref and URL."""
    channels = await store.all_channels()
    by_id = {c.id: c for c in channels}
    notices = await store.notices_by_ids(await store.all_notice_ids())
    out_notices = []
    for n in sorted(notices, key=lambda n: n.id):
        row = asdict(n)
        row["ref"] = row.pop("id")
        row.pop("channel_ids")
        row["recipients"] = list(n.recipients)
        if n.managing_unit:
            row["managing_unit"]["emails"] = list(n.managing_unit.emails)
        out_notices.append(row)
    out_channels = []
    for c in channels:
        out_channels.append({
            "place_slug": c.place_slug, "platform": c.platform, "name": c.name, "url": c.url, "status": c.status,
            "notice_ref": c.notice_id, "verified_on": c.verified_on, "as_written": c.as_written, "since": c.since,
            "superseded_by_url": by_id[c.superseded_by].url if c.superseded_by in by_id else None,
        })
    return {"format": FORMAT, "exported_at": now_iso(), "notices": out_notices, "channels": out_channels}


def channels_csv(export: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    columns = ["place_slug", "platform", "name", "url", "status", "notice_ref", "verified_on", "superseded_by_url"]
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(export["channels"])
    return buf.getvalue().encode("utf-8-sig")  # with a BOM, so spreadsheet programs read Vietnamese right


@dataclass(frozen=True)
class Row:
    """A row of an import file: its list ("notice", "channel"; "file" for the file itself) and 1-based number."""

    kind: str
    number: int
    text: str = ""  # what it adds or changes (a subject, a URL)


@dataclass(frozen=True)
class Refusal:
    """Why a row is refused: `code` names the sentence (i18n "import_<code>"); a refused link also its reason."""

    row: Row
    code: str
    detail: str = ""
    link_code: str = ""
    link_detail: str = ""


class _Problem(ValueError):
    def __init__(self, code: str, detail: object = "", link: LinkError | None = None) -> None:
        super().__init__(code)
        self.code, self.detail = code, str(detail)
        self.link_code, self.link_detail = (link.code, link.detail) if link else ("", "")


@dataclass
class ImportPlan:
    added: list[Row] = field(default_factory=list)
    changed: list[Row] = field(default_factory=list)
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=lambda: {"notices": [], "channels": []})

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed)

    def refuse(self, row: Row, problem: _Problem) -> None:
        self.refused.append(Refusal(row, problem.code, problem.detail, problem.link_code, problem.link_detail))


async def plan_import(raw: bytes, store: Store, places: Gazetteer) -> ImportPlan:
    """A dry run: what an import would add and change, and every refused row with its reason."""
    plan = ImportPlan()
    file = Row("file", 0)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        plan.refuse(file, _Problem("not_json"))
        return plan
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        plan.refuse(file, _Problem("bad_format", FORMAT))
        return plan
    notices, channels = data.get("notices", []), data.get("channels", [])
    if not isinstance(notices, list) or not isinstance(channels, list):
        plan.refuse(file, _Problem("bad_format", FORMAT))
        return plan
    refs: set[str] = set()
    for i, n in enumerate(notices, 1):
        try:
            notice = _notice_row(n, places)
        except _Problem as problem:
            plan.refuse(Row("notice", i), problem)
            continue
        refs.add(str(notice["ref"]))
        if notice.get("key") and await store.notice_id_by_key(notice["key"]) is not None:
            plan.unchanged += 1
        else:
            plan.added.append(Row("notice", i, notice["subject"][:80]))
        plan.payload["notices"].append(notice)
    seen: set[str] = set()
    for i, c in enumerate(channels, 1):
        try:
            row = _channel_row(c, places, refs)
            if row["url"] in seen:
                raise _Problem("duplicate_url", row["url"])
        except _Problem as problem:
            plan.refuse(Row("channel", i), problem)
            continue
        seen.add(row["url"])
        current = await store.channel_by_url(row["url"])
        if current is None:
            plan.added.append(Row("channel", i, row["url"]))
        elif (current.name, current.place_slug, current.status) != (row["name"], row["place_slug"], row["status"]):
            plan.changed.append(Row("channel", i, row["url"]))
        else:
            plan.unchanged += 1
            continue
        plan.payload["channels"].append(row)
    return plan


def _notice_row(n: Any, places: Gazetteer) -> dict[str, Any]:
    """A notice of the file as it will be stored: every field through bot.validate, like every other path."""
    if not isinstance(n, dict):
        raise _Problem("not_object")
    ref = n.get("ref")
    if isinstance(ref, bool) or not isinstance(ref, int | str) or ref == "" or len(str(ref)) > 40:
        raise _Problem("missing", "ref")
    place_slug = n.get("place_slug")
    if not isinstance(place_slug, str) or place_slug not in places.places:
        raise _Problem("unknown_place", str(place_slug)[:60])
    key = n.get("key")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 80):
        raise _Problem("missing", "key")
    try:
        record = notice_record(n)
    except Invalid as exc:
        raise _Problem(exc.code, exc.detail) from exc
    except LinkError as exc:
        raise _Problem("bad_link", str(n.get("url"))[:100], exc) from exc
    return {**record, "ref": ref, "key": key, "place_slug": place_slug, "id": None}


def _channel_row(c: Any, places: Gazetteer, notice_refs: set[str]) -> dict[str, Any]:
    if not isinstance(c, dict):
        raise _Problem("not_object")
    if not isinstance(c.get("place_slug"), str) or c["place_slug"] not in places.places:
        raise _Problem("unknown_place", str(c.get("place_slug"))[:60])
    try:
        link = parse_link(str(c.get("url", "")))
    except LinkError as exc:
        raise _Problem("bad_link", str(c.get("url", ""))[:100], exc) from exc
    try:
        name = clean_text(c.get("name"), "name")
        verified_on = iso_day(c.get("verified_on"), "verified_on")
        since = iso_day(c.get("since"), "since")
        written = as_written(c.get("as_written"), link.url)
    except Invalid as exc:
        raise _Problem(exc.code, exc.detail) from exc
    status = c.get("status", "active")
    if status not in STATUSES:
        raise _Problem("bad_status", ", ".join(STATUSES))
    ref = c.get("notice_ref")
    if ref is not None and (isinstance(ref, dict | list) or str(ref) not in notice_refs):
        raise _Problem("bad_notice_ref", ref)
    successor = c.get("superseded_by_url")
    if successor is not None and not isinstance(successor, str):
        raise _Problem("bad_link", str(successor)[:100])
    if successor:
        try:
            successor = parse_link(str(successor)).url
        except LinkError as exc:
            raise _Problem("bad_link", str(successor)[:100], exc) from exc
    return {"place_slug": c["place_slug"], "platform": link.platform, "name": name, "url": link.url, "status": status,
            "notice_ref": ref, "verified_on": verified_on, "as_written": written,
            "since": since, "superseded_by_url": successor}
