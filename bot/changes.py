"""Admin changes to the registry: proposed, previewed, confirmed once by their author, audited, undoable.

A change is stored as *pending* until its author confirms it; confirming flips the pending row from open to
done in the same transaction that applies the change, so a second Confirm, a Confirm after Cancel, or someone
else's Confirm changes nothing. Every applied change writes one audit row holding before/after snapshots of
every row it touched; /undo restores the "before" snapshot, refusing if someone changed those rows since.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.models import Channel, ManagingUnit, Notice
from bot.services import Registry
from bot.store import Store, now_iso


class Outcome:
    APPLIED = "applied"
    CANCELLED = "cancelled"
    ALREADY = "already"  # confirmed or cancelled before
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"
    CONFLICT = "conflict"  # the registry changed since the preview (URL taken, row edited…)
    EXPIRED = "expired"  # confirmed too long after the preview
    NOTHING = "nothing"


@dataclass(frozen=True)
class Result:
    outcome: str
    place_slug: str | None = None
    detail: str = ""


def today() -> str:
    return now_iso()[:10]


class Changes:
    PENDING_TTL = timedelta(hours=24)

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store: Store = registry.store
        self._touched: set[str] = set()  # places whose rows the change wrote: only their cards are redrawn

    # --- roles -----------------------------------------------------------------------------------------
    async def is_admin(self, user_id: int, super_admins: frozenset[int]) -> bool:
        return user_id in super_admins or await self.store.is_admin(user_id)

    async def grant(self, actor_id: int, actor_name: str | None, user_id: int, name: str | None) -> bool:
        async with self.store.transaction():
            added = await self.store.add_admin(user_id, name, actor_id) > 0
            if added:
                await self.store.add_audit(actor_id=actor_id, actor_name=actor_name, action="grant", place_slug=None,
                                           entity="admin", entity_id=user_id, before=None,
                                           after={"user_id": user_id, "name": name})
        return added

    async def revoke(self, actor_id: int, actor_name: str | None, user_id: int) -> bool:
        async with self.store.transaction():
            removed = await self.store.remove_admin(user_id) > 0
            if removed:
                await self.store.add_audit(actor_id=actor_id, actor_name=actor_name, action="revoke", place_slug=None,
                                           entity="admin", entity_id=user_id, before={"user_id": user_id}, after=None)
        return removed

    # --- propose / confirm / cancel --------------------------------------------------------------------
    async def propose(self, actor_id: int, kind: str, payload: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(9)  # 12 characters: fits callback data with room to spare
        await self.store.add_pending(token, actor_id, kind, payload)
        return token

    async def cancel(self, token: str, actor_id: int) -> Result:
        pending = await self.store.pending(token)
        if pending is None:
            return Result(Outcome.UNKNOWN)
        async with self.store.transaction():
            closed = await self.store.close_pending(token, actor_id, "cancelled")
        if closed:
            return Result(Outcome.CANCELLED)
        return Result(Outcome.NOT_YOURS if pending[0] != actor_id else Outcome.ALREADY)

    async def confirm(self, token: str, actor_id: int, actor_name: str | None) -> Result:
        pending = await self.store.pending(token)
        if pending is None:
            return Result(Outcome.UNKNOWN)
        owner, kind, payload, _state, created_at = pending
        if datetime.now(UTC) - datetime.fromisoformat(created_at) > self.PENDING_TTL and owner == actor_id:
            # A preview from yesterday may no longer be what the registry would become: ask for a fresh one.
            async with self.store.transaction():
                if await self.store.close_pending(token, actor_id, "cancelled"):
                    return Result(Outcome.EXPIRED)
            return Result(Outcome.ALREADY)
        try:
            async with self.store.transaction():
                if not await self.store.close_pending(token, actor_id, "done"):
                    return Result(Outcome.NOT_YOURS if owner != actor_id else Outcome.ALREADY)
                await self.store.defer_foreign_keys()
                place_slug = await self._apply(kind, payload, actor_id, actor_name)
        except _Conflict as exc:
            return Result(Outcome.CONFLICT, detail=str(exc))
        self.registry.changed(*self._touched)
        return Result(Outcome.APPLIED, place_slug)

    # --- applying --------------------------------------------------------------------------------------
    async def _apply(self, kind: str, p: dict[str, Any], actor_id: int, actor_name: str | None) -> str | None:
        store = self.store
        if kind == "add_channel":
            await self._require_free_url(p["url"])
            channel_id = await store.insert_channel(place_slug=p["place_slug"], platform=p["platform"], name=p["name"],
                                                    url=p["url"], verified_on=today(), notice_id=p.get("notice_id"))
            await self._audit(actor_id, actor_name, kind, p["place_slug"], {}, [channel_id], [])
            return p["place_slug"]
        if kind == "edit_channel":
            channel = await self._channel(p["channel_id"])
            before = await self._snapshot([channel.id], [])
            fields = dict(p["fields"])
            if "url" in fields:
                await self._require_free_url(fields["url"])
            await store.update_channel(channel.id, **fields, verified_on=today())
            await self._audit(actor_id, actor_name, kind, fields.get("place_slug", channel.place_slug), before,
                              [channel.id], [])
            return channel.place_slug
        if kind == "retire_channel":
            channel = await self._channel(p["channel_id"])
            if channel.status != "active":
                raise _Conflict(channel.url)
            before = await self._snapshot([channel.id], [])
            touched = [channel.id]
            successor_id = None
            if p.get("successor_url"):
                existing = await store.channel_by_url(p["successor_url"])
                if existing is not None:
                    successor_id = existing.id
                else:
                    successor_id = await store.insert_channel(
                        place_slug=channel.place_slug, platform=p["successor_platform"], name=channel.name,
                        url=p["successor_url"], verified_on=today())
                touched.append(successor_id)
            await store.update_channel(channel.id, status="superseded" if successor_id else "retired",
                                       superseded_by=successor_id)
            await self._audit(actor_id, actor_name, kind, channel.place_slug, before, touched, [])
            return channel.place_slug
        if kind == "add_notice":
            notice_id = await self._insert_notice(p)
            for channel_id in p["channel_ids"]:
                await store.link_notice_channel(notice_id, channel_id)
            before = await self._snapshot(p["channel_ids"], [])
            for channel_id in p["channel_ids"]:  # the newest notice is the channel's source from now on
                await store.update_channel(channel_id, notice_id=notice_id, verified_on=today())
            await self._audit(actor_id, actor_name, kind, p["place_slug"], before, p["channel_ids"], [notice_id])
            return p["place_slug"]
        if kind == "import":
            return await self._apply_import(p, actor_id, actor_name)
        raise ValueError(f"unknown change kind {kind}")

    async def _apply_import(self, p: dict[str, Any], actor_id: int, actor_name: str | None) -> None:
        store = self.store
        notice_ids: dict[str, int] = {}
        for n in p["notices"]:
            existing = await store.notice_id_by_key(n["key"]) if n.get("key") else None
            notice_ids[str(n["ref"])] = existing or await self._insert_notice(n)
            if existing is None:
                await self._audit(actor_id, actor_name, "import_notice", n["place_slug"], {}, [],
                                  [notice_ids[str(n["ref"])]])
        for c in p["channels"]:
            notice_id = notice_ids.get(str(c.get("notice_ref"))) if c.get("notice_ref") is not None else None
            current = await store.channel_by_url(c["url"])
            if current is None:
                channel_id = await store.insert_channel(
                    place_slug=c["place_slug"], platform=c["platform"], name=c["name"], url=c["url"],
                    verified_on=c.get("verified_on") or today(), notice_id=notice_id, status=c.get("status", "active"),
                    as_written=c.get("as_written"), since=c.get("since"))
                await self._audit(actor_id, actor_name, "import_channel", c["place_slug"], {}, [channel_id], [])
            else:
                before = await self._snapshot([current.id], [])
                await store.update_channel(current.id, name=c["name"], place_slug=c["place_slug"],
                                           status=c.get("status", "active"), notice_id=notice_id or current.notice_id)
                await self._audit(actor_id, actor_name, "import_channel", c["place_slug"], before, [current.id], [])
            if notice_id:
                await store.link_notice_channel(notice_id, current.id if current else channel_id)
        for c in p["channels"]:  # successors may come later in the file than what they replace
            if c.get("superseded_by_url"):
                successor = await store.channel_by_url(c["superseded_by_url"])
                own = await store.channel_by_url(c["url"])
                if successor and own:
                    await store.update_channel(own.id, superseded_by=successor.id)
        return None

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

    async def _channel(self, channel_id: int) -> Channel:
        channel = await self.store.channel_by_id(channel_id)
        if channel is None:
            raise _Conflict(str(channel_id))
        return channel

    async def _require_free_url(self, url: str) -> None:
        if await self.store.channel_by_url(url) is not None:
            raise _Conflict(url)

    # --- audit and undo --------------------------------------------------------------------------------
    async def _snapshot(self, channel_ids: list[int], notice_ids: list[int]) -> dict[str, Any]:
        channels = [c for c in [await self.store.channel_by_id(i) for i in channel_ids] if c]
        notices = await self.store.notices_by_ids(notice_ids) if notice_ids else []
        return {"channels": [asdict(c) for c in channels], "notices": [asdict(n) for n in notices]}

    async def _audit(self, actor_id: int, actor_name: str | None, action: str, place_slug: str | None,
                     before: dict[str, Any], channel_ids: list[int], notice_ids: list[int],
                     undoes: int | None = None) -> None:
        after = await self._snapshot(channel_ids, notice_ids)
        before = before or {"channels": [], "notices": []}
        self._touched |= _places_in(before) | _places_in(after)
        await self.store.add_audit(actor_id=actor_id, actor_name=actor_name, action=action, place_slug=place_slug,
                                   entity="channel" if not notice_ids else "notice", entity_id=(notice_ids or
                                   channel_ids or [None])[0], before=before, after=after, undoes=undoes)

    async def undo(self, actor_id: int, actor_name: str | None) -> Result:
        """Restore the state before the caller's own last change, if nobody changed those rows since."""
        entry = await self.store.last_undoable(actor_id)
        if entry is None or entry.before is None or entry.after is None:
            return Result(Outcome.NOTHING)
        store = self.store
        before, after = entry.before, entry.after
        async with store.transaction():
            await store.defer_foreign_keys()
            current = await self._snapshot([c["id"] for c in after["channels"]], [n["id"] for n in after["notices"]])
            if _without_times(current) != _without_times(after):
                return Result(Outcome.CONFLICT, entry.place_slug)
            before_channels = {c["id"]: c for c in before["channels"]}
            for c in after["channels"]:
                if c["id"] not in before_channels:
                    await store.delete_channel(c["id"])
            for n in after["notices"]:
                if n["id"] not in {b["id"] for b in before["notices"]}:
                    await store.delete_notice(n["id"])
            for c in before["channels"]:
                fields = {k: v for k, v in c.items() if k != "id"}
                if await store.update_channel(c["id"], **fields) == 0:
                    await store.insert_channel(channel_id=c["id"], **fields)
            restored = await self._snapshot([c["id"] for c in before["channels"]], [])
            await store.add_audit(actor_id=actor_id, actor_name=actor_name, action="undo", place_slug=entry.place_slug,
                                  entity=entry.entity, entity_id=entry.entity_id, before=after, after=restored,
                                  undoes=entry.id)
        self.registry.changed(*(_places_in(before) | _places_in(after)))
        return Result(Outcome.APPLIED, entry.place_slug, entry.action)


class _Conflict(Exception):
    pass


def _places_in(snapshot: dict[str, Any]) -> set[str]:
    return {row["place_slug"] for key in ("channels", "notices") for row in snapshot.get(key, [])}


def _without_times(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"channels": snapshot["channels"], "notices": [n["id"] for n in snapshot["notices"]]}

