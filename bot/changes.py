"""Admin changes to the registry: proposed, previewed, confirmed once by their author, audited, undoable.

A change is stored as *pending* until its author confirms it; confirming flips the pending row from open to
done in the same transaction that applies the change, so a second Confirm, a Confirm after Cancel, or someone
else's Confirm changes nothing. Every applied change writes one audit row holding before/after snapshots of
every row it touched, and the alerts it owes the chats subscribed to the units it touched (bot.alerts), in the
same transaction; /undo restores the "before" snapshot, refusing if someone changed those rows since.
What each kind of change writes (and, for the ones previewed as a card, shows) is in bot.change_kinds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts import SILENT_KINDS, queue_alerts
from bot.change_kinds import KINDS, Touched, successor_problem, today
from bot.change_kinds import Conflict as _Conflict
from bot.change_kinds import snapshot as _snapshot
from bot.models import AuditEntry, Channel
from bot.people import Person
from bot.services import Registry
from bot.store import IntegrityError, Store

__all__ = ["UNDO", "Changes", "Outcome", "Result", "today"]


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
        change = KINDS.get(kind)  # bot.change_kinds: one object per kind, shared with its preview
        if change is None:
            raise ValueError(f"unknown change kind {kind}")
        work = Touched(self.store)
        place_slug = await change.apply(self.registry, work, p)
        before, after = work.before(), await work.after()
        self._touched |= _places_in(before) | _places_in(after)
        notice_ids = [n["id"] for n in after["notices"]]
        channel_ids = [c["id"] for c in after["channels"]]
        audit_id = await self.store.add_audit(
            actor=actor, actor_name=actor_name, action=kind, place_slug=place_slug,
            entity="notice" if notice_ids else "channel", entity_id=(notice_ids or channel_ids or [None])[0],
            before=before, after=after)
        if kind not in SILENT_KINDS:  # every chat subscribed to a unit it touched is told (bot.alerts)
            await queue_alerts(self.store, self.registry.places, audit_id, _places_in(before) | _places_in(after))
        return place_slug

    def successor_problem(self, channel: Channel, successor: Channel) -> str | None:
        """Why `successor` cannot replace `channel` (another unit, not active, itself), or None."""
        return successor_problem(self.registry.places, channel, successor)

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
        audit_id = await store.add_audit(actor=actor, actor_name=actor_name, action="undo",
                                         place_slug=entry.place_slug, entity=entry.entity, entity_id=entry.entity_id,
                                         before=after, after=restored, undoes=entry.id)
        touched = _places_in(before) | _places_in(after)
        if entry.action not in SILENT_KINDS:  # the chats told of the change are told of its undoing
            await queue_alerts(store, self.registry.places, audit_id, touched)
        self._touched |= touched


_CHANNEL_FIELDS = ("place_slug", "platform", "name", "url", "status", "superseded_by", "notice_id", "verified_on",
                   "as_written", "since")


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as compared by undo: every channel field; each notice's id and its linked channels."""
    return {"channels": sorted((c for c in snapshot["channels"]), key=lambda c: c["id"]),
            "notices": sorted((n["id"], sorted(n.get("channel_ids") or [])) for n in snapshot["notices"])}


def _places_in(snapshot: dict[str, Any]) -> set[str]:
    return {row["place_slug"] for key in ("channels", "notices") for row in snapshot.get(key, [])}
