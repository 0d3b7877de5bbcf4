"""Admin changes to the registry: proposed, previewed, confirmed once by their author, audited, undoable.

A change is stored as *pending* until its author confirms it; confirming flips the pending row from open to
done in the same transaction that applies the change, so a second Confirm, a Confirm after Cancel, or someone
else's Confirm changes nothing. Every applied change writes one audit row holding before/after snapshots of
every row it touched; /undo restores the "before" snapshot, refusing if someone changed those rows since.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from bot.models import AuditEntry, Channel, ManagingUnit, Notice
from bot.people import Person
from bot.services import Registry
from bot.store import IntegrityError, Store, now_iso


class Outcome:
    APPLIED = "applied"
    CANCELLED = "cancelled"
    ALREADY = "already"  # confirmed or cancelled before
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"
    CONFLICT = "conflict"  # the registry changed since the preview (URL taken, row edited…)
    EXPIRED = "expired"  # confirmed too long after the preview
    NOTHING = "nothing"
    UNDONE = "undone"  # /undo: the caller's last change was undone already (undo never walks further back)
    STALE = "stale"  # an undo's Confirm: that change is no longer the caller's last one not undone


@dataclass(frozen=True)
class Result:
    outcome: str
    place_slug: str | None = None
    detail: str = ""
    kind: str = ""  # the kind of change confirmed ("undo", "add_channel"…)


UNDO = "undo"  # the pending kind of a previewed /undo: {"audit_id": …}


def today() -> str:
    return now_iso()[:10]


def _checked_on(p: dict[str, Any]) -> str:
    """The date the change's preview showed as the channels' "as of" (so the saved card matches it)."""
    return str(p.get("verified_on") or today())


class Changes:
    PENDING_TTL = timedelta(hours=24)

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store: Store = registry.store
        self._touched: set[str] = set()  # places whose rows the change wrote: only their cards are redrawn

    # --- roles -----------------------------------------------------------------------------------------
    async def is_admin(self, person: Person, super_admins: frozenset[Person]) -> bool:
        return person in super_admins or await self.store.is_admin(person)

    async def grant(self, actor: Person, actor_name: str | None, person: Person, name: str | None) -> bool:
        async with self.store.transaction():
            added = await self.store.add_admin(person, name, actor)
            if added:
                await self.store.add_audit(actor=actor, actor_name=actor_name, action="grant", place_slug=None,
                                           entity="admin", entity_id=None, before=None,
                                           after={"person": person.key, "name": name})
        return added

    async def revoke(self, actor: Person, actor_name: str | None, person: Person) -> bool:
        async with self.store.transaction():
            removed = await self.store.remove_admin(person) > 0
            if removed:
                await self.store.add_audit(actor=actor, actor_name=actor_name, action="revoke", place_slug=None,
                                           entity="admin", entity_id=None, before={"person": person.key}, after=None)
        return removed

    # --- propose / confirm / cancel --------------------------------------------------------------------
    async def propose(self, actor: Person, kind: str, payload: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(9)  # 12 characters: fits callback data with room to spare
        await self.store.add_pending(token, actor, kind, payload)
        return token

    async def cancel(self, token: str, actor: Person) -> Result:
        pending = await self.store.pending(token)
        if pending is None:
            return Result(Outcome.UNKNOWN)
        async with self.store.transaction():
            closed = await self.store.close_pending(token, actor, "cancelled")
        if closed:
            return Result(Outcome.CANCELLED)
        return Result(Outcome.NOT_YOURS if pending[0] != actor else Outcome.ALREADY)

    async def confirm(self, token: str, actor: Person, actor_name: str | None) -> Result:
        pending = await self.store.pending(token)
        if pending is None:
            return Result(Outcome.UNKNOWN)
        owner, kind, payload, _state, created_at = pending
        if datetime.now(UTC) - datetime.fromisoformat(created_at) > self.PENDING_TTL and owner == actor:
            # A preview from yesterday may no longer be what the registry would become: ask for a fresh one.
            async with self.store.transaction():
                if await self.store.close_pending(token, actor, "cancelled"):
                    return Result(Outcome.EXPIRED)
            return Result(Outcome.ALREADY)
        try:
            async with self.store.transaction():
                if not await self.store.close_pending(token, actor, "done"):
                    return Result(Outcome.NOT_YOURS if owner != actor else Outcome.ALREADY)
                await self.store.defer_foreign_keys()
                if kind == UNDO:
                    entry = await self._undoable(actor, int(payload["audit_id"]))
                    if isinstance(entry, Result):
                        return entry
                    await self._undo_rows(entry, actor, actor_name)
                    place_slug, detail = entry.place_slug, entry.action
                else:
                    place_slug, detail = await self._apply(kind, payload, actor, actor_name), ""
        except _Conflict as exc:
            return Result(Outcome.CONFLICT, detail=str(exc), kind=kind)
        self.registry.changed(*self._touched)
        return Result(Outcome.APPLIED, place_slug, detail, kind=kind)

    # --- applying --------------------------------------------------------------------------------------
    async def _apply(self, kind: str, p: dict[str, Any], actor: Person, actor_name: str | None) -> str | None:
        """Apply one change inside the caller's transaction; one audit row records every row it touched."""
        applier = self._APPLIERS.get(kind)
        if applier is None:
            raise ValueError(f"unknown change kind {kind}")
        work = _Touched(self.store)
        place_slug = await applier(self, work, p)
        before, after = work.before(), await work.after()
        self._touched |= _places_in(before) | _places_in(after)
        notice_ids = [n["id"] for n in after["notices"]]
        channel_ids = [c["id"] for c in after["channels"]]
        await self.store.add_audit(actor=actor, actor_name=actor_name, action=kind, place_slug=place_slug,
                                   entity="notice" if notice_ids else "channel",
                                   entity_id=(notice_ids or channel_ids or [None])[0], before=before, after=after)
        return place_slug

    async def _add_channel(self, work: _Touched, p: dict[str, Any]) -> str:
        await self._require_free_url(p["url"])
        channel_id = await self.store.insert_channel(
            place_slug=p["place_slug"], platform=p["platform"], name=p["name"], url=p["url"],
            verified_on=_checked_on(p), notice_id=p.get("notice_id"))
        work.created_channel(channel_id)
        return str(p["place_slug"])

    async def _edit_channel(self, work: _Touched, p: dict[str, Any]) -> str:
        channel = await work.channel(p["channel_id"])
        fields = dict(p["fields"])
        if "url" in fields:
            await self._require_free_url(fields["url"])
        if "place_slug" in fields and channel.superseded_by is not None:
            raise _Conflict(channel.url)  # its successor stays in its unit: retire or re-point that first
        await self.store.update_channel(channel.id, **fields, verified_on=_checked_on(p))
        return str(fields.get("place_slug", channel.place_slug))

    async def _retire_channel(self, work: _Touched, p: dict[str, Any]) -> str:
        channel = await work.channel(p["channel_id"])
        if channel.status != "active":
            raise _Conflict(channel.url)
        successor_id = None
        if p.get("successor_url"):
            existing = await self.store.channel_by_url(p["successor_url"])
            if existing is None:
                successor_id = await self.store.insert_channel(
                    place_slug=channel.place_slug, platform=p["successor_platform"], name=channel.name,
                    url=p["successor_url"], verified_on=_checked_on(p))
                work.created_channel(successor_id)
            else:
                # An existing successor is read, not written: it is part of what undo must find unchanged.
                successor = await work.channel(existing.id)
                if problem := self.successor_problem(channel, successor):
                    raise _Conflict(problem)
                successor_id = successor.id
        await self.store.update_channel(channel.id, status="superseded" if successor_id else "retired",
                                        superseded_by=successor_id)
        return channel.place_slug

    def successor_problem(self, channel: Channel, successor: Channel) -> str | None:
        """Why `successor` cannot replace `channel` (another unit, not active, itself), or None."""
        places = self.registry.places
        if successor.id == channel.id:
            return successor.url
        if places.unit_of(places.places[successor.place_slug]) != places.unit_of(places.places[channel.place_slug]):
            return successor.url
        if successor.status != "active":
            return successor.url
        return None

    async def _add_notice(self, work: _Touched, p: dict[str, Any]) -> str:
        notice_id = await self._insert_notice(p)
        work.created_notice(notice_id)
        for channel_id in p["channel_ids"]:
            await work.channel(channel_id)
            await self.store.link_notice_channel(notice_id, channel_id)
            # The newest notice is the channel's source from now on.
            await self.store.update_channel(channel_id, notice_id=notice_id, verified_on=_checked_on(p))
        return str(p["place_slug"])

    async def _apply_import(self, work: _Touched, p: dict[str, Any]) -> str | None:
        store = self.store
        notice_ids: dict[str, int] = {}
        for n in p["notices"]:
            existing = await store.notice_id_by_key(n["key"]) if n.get("key") else None
            if existing is None:
                existing = await self._insert_notice(n)
                work.created_notice(existing)
            notice_ids[str(n["ref"])] = existing
        for c in p["channels"]:
            notice_id = notice_ids.get(str(c.get("notice_ref"))) if c.get("notice_ref") is not None else None
            current = await store.channel_by_url(c["url"])
            if current is None:
                channel_id = await store.insert_channel(
                    place_slug=c["place_slug"], platform=c["platform"], name=c["name"], url=c["url"],
                    verified_on=c.get("verified_on") or today(), notice_id=notice_id, status=c.get("status", "active"),
                    as_written=c.get("as_written"), since=c.get("since"))
                work.created_channel(channel_id)
            else:
                await work.channel(current.id)
                channel_id = current.id
                await store.update_channel(current.id, name=c["name"], place_slug=c["place_slug"],
                                           status=c.get("status", "active"), notice_id=notice_id or current.notice_id)
            if notice_id:
                await work.notice(notice_id)
                await store.link_notice_channel(notice_id, channel_id)
        for c in p["channels"]:  # successors may come later in the file than what they replace
            if c.get("superseded_by_url"):
                successor = await store.channel_by_url(c["superseded_by_url"])
                own = await store.channel_by_url(c["url"])
                if successor and own:
                    await work.channel(successor.id)
                    if problem := self.successor_problem(own, successor) if own.status == "active" else None:
                        raise _Conflict(problem)
                    await store.update_channel(own.id, superseded_by=successor.id)
        return None

    async def _ingest(self, work: _Touched, p: dict[str, Any]) -> str:
        """A notice read by bot.ingest, with its channels: new ones registered, ones of the same unit re-sourced
        to it, retired and replaced ones marked so. A link registered to another unit refuses the whole change."""
        places = self.registry.places
        unit = places.unit_of(places.places[p["place_slug"]])
        notice_id = await self._insert_notice(p["notice"])
        work.created_notice(notice_id)
        ids: dict[str, int] = {}
        for c in p["channels"]:
            status = "active" if c["status"] == "active" else "retired"  # "superseded" once its successor is in
            existing = await self.store.channel_by_url(c["url"])
            if existing is None:
                channel_id = await self.store.insert_channel(
                    place_slug=p["place_slug"], platform=c["platform"], name=c["name"], url=c["url"],
                    verified_on=today(), notice_id=notice_id, status=status, as_written=c.get("as_written"),
                    since=c.get("since"))
                work.created_channel(channel_id)
            else:
                channel = await work.channel(existing.id)
                if places.unit_of(places.places[channel.place_slug]) != unit:
                    raise _Conflict(channel.url)
                channel_id = channel.id
                await self.store.update_channel(channel_id, notice_id=notice_id, verified_on=today(), status=status,
                                                superseded_by=None, since=c.get("since") or channel.since)
            await self.store.link_notice_channel(notice_id, channel_id)
            ids[c["url"]] = channel_id
        for c in p["channels"]:
            successor = ids.get(c.get("superseded_by_url") or "")
            if successor is not None and successor != ids[c["url"]]:
                await self.store.update_channel(ids[c["url"]], status="superseded", superseded_by=successor)
        return str(p["place_slug"])

    _APPLIERS: ClassVar[dict[str, Callable[..., Awaitable[str | None]]]] = {
        "add_channel": _add_channel,
        "edit_channel": _edit_channel,
        "retire_channel": _retire_channel,
        "add_notice": _add_notice,
        "import": _apply_import,
        "ingest": _ingest,
    }

    async def _insert_notice(self, n: dict[str, Any]) -> int:
        unit_id = None
        if n.get("managing_unit"):
            m = n["managing_unit"]
            unit_id = await self.store.insert_managing_unit(
                ManagingUnit(m["name"], m.get("address"), m.get("phone"), tuple(m.get("emails") or ())))
        notice = Notice(
            id=n.get("id") or 0, key=n.get("key"), place_slug=n["place_slug"], issuer=n["issuer"],
            number=n.get("number"), number_suffix=n.get("number_suffix"), year=n["year"], month=n.get("month"),
            day=n.get("day"), location=n.get("location"), subject=n["subject"], summary=n.get("summary"),
            signer=n.get("signer"), signer_title=n.get("signer_title"), recipients=tuple(n.get("recipients") or ()),
            url=n.get("url"),
        )
        return await self.store.insert_notice(notice, unit_id)

    async def _require_free_url(self, url: str) -> None:
        if await self.store.channel_by_url(url) is not None:
            raise _Conflict(url)

    # --- undo ------------------------------------------------------------------------------------------
    async def undo_candidate(self, actor: Person) -> AuditEntry | Result:
        """What /undo would undo: the caller's newest change, if not undone yet and its rows are as it left them.

        Only the newest: once it is undone, /undo says so rather than walking back to older changes.
        """
        found = await self.store.last_change(actor)
        if found is None or found[0].before is None or found[0].after is None:
            return Result(Outcome.NOTHING)
        entry, undone = found
        if undone:
            return Result(Outcome.UNDONE, entry.place_slug, entry.action)
        if not await self._unchanged_since(entry):
            return Result(Outcome.CONFLICT, entry.place_slug, entry.action)
        return entry

    async def propose_undo(self, actor: Person, entry: AuditEntry) -> str:
        """A pending undo of exactly this audit entry: Confirm undoes it, or nothing if it is no longer the one."""
        return await self.propose(actor, UNDO, {"audit_id": entry.id})

    async def undo(self, actor: Person, actor_name: str | None) -> Result:
        """Undo the caller's newest change at once (the CLI and tests; in chat /undo previews and confirms)."""
        try:
            async with self.store.transaction():
                await self.store.defer_foreign_keys()
                entry = await self.undo_candidate(actor)
                if isinstance(entry, Result):
                    return entry
                await self._undo_rows(entry, actor, actor_name)
        except _Conflict:
            return Result(Outcome.CONFLICT, entry.place_slug if isinstance(entry, AuditEntry) else None)
        self.registry.changed(*self._touched)
        return Result(Outcome.APPLIED, entry.place_slug, entry.action, kind=UNDO)

    async def _undoable(self, actor: Person, audit_id: int) -> AuditEntry | Result:
        """The entry a confirmed undo names, if it is still the caller's newest change and not undone."""
        found = await self.store.last_change(actor)
        if found is None or found[0].id != audit_id or found[1]:
            return Result(Outcome.STALE, kind=UNDO)
        return found[0]

    async def _unchanged_since(self, entry: AuditEntry) -> bool:
        assert entry.after is not None
        current = await _snapshot(self.store, [c["id"] for c in entry.after["channels"]],
                                  [n["id"] for n in entry.after["notices"]])
        return _comparable(current) == _comparable(entry.after)

    async def _undo_rows(self, entry: AuditEntry, actor: Person, actor_name: str | None) -> None:
        """Restore every row `entry` touched, inside the caller's transaction, if none of them changed since.

        Rows the change created are deleted, rows it read or wrote get their earlier values back, links between
        notices and channels included. Anything else that points at those rows (a later change's successor, a
        later notice) makes the foreign-key check fail, and the undo is refused as a conflict: nothing that
        someone else acknowledged is ever lost to an undo.
        """
        store = self.store
        assert entry.before is not None and entry.after is not None
        before, after = entry.before, entry.after
        if not await self._unchanged_since(entry):
            raise _Conflict(entry.place_slug or "")
        for c in before["channels"]:
            # Exactly as it was, its time of last change included (older audit rows did not record it).
            fields = {k: v for k, v in c.items() if k in _CHANNEL_FIELDS or (k == "updated_at" and v)}
            try:
                await store.update_channel(c["id"], **fields)
            except IntegrityError as exc:  # its old URL has been registered again since
                raise _Conflict(c["url"]) from exc
        for n in before["notices"]:
            await store.set_notice_channels(n["id"], n.get("channel_ids") or [])
        kept_channels = {c["id"] for c in before["channels"]}
        kept_notices = {n["id"] for n in before["notices"]}
        for c in after["channels"]:
            if c["id"] not in kept_channels:
                await store.delete_channel(c["id"])
        for n in after["notices"]:
            if n["id"] not in kept_notices:
                await store.delete_notice(n["id"])
        if await store.foreign_key_violations():
            raise _Conflict(entry.place_slug or "")
        restored = await _snapshot(store, list(kept_channels), list(kept_notices))
        await store.add_audit(actor=actor, actor_name=actor_name, action="undo",
                              place_slug=entry.place_slug, entity=entry.entity, entity_id=entry.entity_id,
                              before=after, after=restored, undoes=entry.id)
        self._touched |= _places_in(before) | _places_in(after)


class _Touched:
    """The rows one change touches, each with its state before the change first touched it (None: created)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._channels: dict[int, dict[str, Any] | None] = {}
        self._notices: dict[int, dict[str, Any] | None] = {}

    async def channel(self, channel_id: int) -> Channel:
        """Read a channel the change will read or write, remembering how it was."""
        channel = await self.store.channel_by_id(channel_id)
        if channel is None:
            raise _Conflict(str(channel_id))
        self._channels.setdefault(channel_id, asdict(channel))
        return channel

    async def notice(self, notice_id: int) -> None:
        if notice_id not in self._notices:
            found = await self.store.notices_by_ids([notice_id])
            if not found:
                raise _Conflict(str(notice_id))
            self._notices[notice_id] = asdict(found[0])

    def created_channel(self, channel_id: int) -> None:
        self._channels.setdefault(channel_id, None)

    def created_notice(self, notice_id: int) -> None:
        self._notices.setdefault(notice_id, None)

    def before(self) -> dict[str, Any]:
        return {"channels": [row for row in self._channels.values() if row is not None],
                "notices": [row for row in self._notices.values() if row is not None]}

    async def after(self) -> dict[str, Any]:
        return await _snapshot(self.store, list(self._channels), list(self._notices))


async def _snapshot(store: Store, channel_ids: list[int], notice_ids: list[int]) -> dict[str, Any]:
    channels = [c for c in [await store.channel_by_id(i) for i in channel_ids] if c]
    notices = await store.notices_by_ids(notice_ids) if notice_ids else []
    return {"channels": [asdict(c) for c in channels], "notices": [asdict(n) for n in notices]}


_CHANNEL_FIELDS = ("place_slug", "platform", "name", "url", "status", "superseded_by", "notice_id", "verified_on",
                   "as_written", "since")


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as compared by undo: every channel field; each notice's id and its linked channels."""
    return {"channels": sorted((c for c in snapshot["channels"]), key=lambda c: c["id"]),
            "notices": sorted((n["id"], sorted(n.get("channel_ids") or [])) for n in snapshot["notices"])}


class _Conflict(Exception):
    pass


def _places_in(snapshot: dict[str, Any]) -> set[str]:
    return {row["place_slug"] for key in ("channels", "notices") for row in snapshot.get(key, [])}
