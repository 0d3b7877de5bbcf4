"""One object per kind of admin change, shared by its preview and its apply.

`apply` writes the change inside the caller's transaction (bot.changes opens it, closes the pending row and
writes the audit row); `preview`, for the changes an admin sees as a card before Confirm, computes the unit's
active channels as they will be after the change, from the same rules `apply` writes with (the same fields, the
same "checked on" date, the same successor), and writes nothing.

A kind's name is what `pending.kind` and `audit.action` hold: existing databases have them, so they never change.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, ClassVar

from bot.clock import vietnam_today
from bot.models import Channel, ManagingUnit, Notice
from bot.places import Gazetteer
from bot.services import Registry
from bot.store import Store


def today() -> str:
    """The day a change is stamped with (verified_on): Vietnam's date, which is not UTC's before 07:00 there."""
    return vietnam_today().isoformat()


def checked_on(p: dict[str, Any]) -> str:
    """The date the change's preview showed as the channels' "as of" (so the saved card matches it)."""
    return str(p.get("verified_on") or today())


class Conflict(Exception):
    """The registry is not what the change expects (URL taken, row gone or edited…): nothing is applied."""


class Touched:
    """The rows one change touches, each with its state before the change first touched it (None: created)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._channels: dict[int, dict[str, Any] | None] = {}
        self._notices: dict[int, dict[str, Any] | None] = {}

    async def channel(self, channel_id: int) -> Channel:
        """Read a channel the change will read or write, remembering how it was."""
        channel = await self.store.channel_by_id(channel_id)
        if channel is None:
            raise Conflict(str(channel_id))
        self._channels.setdefault(channel_id, asdict(channel))
        return channel

    async def notice(self, notice_id: int) -> None:
        if notice_id not in self._notices:
            found = await self.store.notices_by_ids([notice_id])
            if not found:
                raise Conflict(str(notice_id))
            self._notices[notice_id] = asdict(found[0])

    def created_channel(self, channel_id: int) -> None:
        self._channels.setdefault(channel_id, None)

    def created_notice(self, notice_id: int) -> None:
        self._notices.setdefault(notice_id, None)

    def before(self) -> dict[str, Any]:
        return {"channels": [row for row in self._channels.values() if row is not None],
                "notices": [row for row in self._notices.values() if row is not None]}

    async def after(self) -> dict[str, Any]:
        return await snapshot(self.store, list(self._channels), list(self._notices))


async def snapshot(store: Store, channel_ids: list[int], notice_ids: list[int]) -> dict[str, Any]:
    channels = [c for c in [await store.channel_by_id(i) for i in channel_ids] if c]
    notices = await store.notices_by_ids(notice_ids) if notice_ids else []
    return {"channels": [asdict(c) for c in channels], "notices": [asdict(n) for n in notices]}


# --- what the kinds share ----------------------------------------------------------------------------------
def successor_problem(places: Gazetteer, channel: Channel, successor: Channel) -> str | None:
    """Why `successor` cannot replace `channel` (another unit, not active, itself), or None."""
    if successor.id == channel.id:
        return successor.url
    if places.unit_of(places.places[successor.place_slug]) != places.unit_of(places.places[channel.place_slug]):
        return successor.url
    if successor.status != "active":
        return successor.url
    return None


async def require_free_url(store: Store, url: str) -> None:
    if await store.channel_by_url(url) is not None:
        raise Conflict(url)


async def insert_notice(store: Store, n: dict[str, Any]) -> int:
    unit_id = None
    if n.get("managing_unit"):
        m = n["managing_unit"]
        unit_id = await store.insert_managing_unit(
            ManagingUnit(m["name"], m.get("address"), m.get("phone"), tuple(m.get("emails") or ())))
    notice = Notice(
        id=n.get("id") or 0, key=n.get("key"), place_slug=n["place_slug"], issuer=n["issuer"],
        number=n.get("number"), number_suffix=n.get("number_suffix"), year=n["year"], month=n.get("month"),
        day=n.get("day"), location=n.get("location"), subject=n["subject"], summary=n.get("summary"),
        signer=n.get("signer"), signer_title=n.get("signer_title"), recipients=tuple(n.get("recipients") or ()),
        url=n.get("url"),
    )
    return await store.insert_notice(notice, unit_id)


def as_inserted(fields: dict[str, Any]) -> Channel:
    """A channel not saved yet, as `Store.insert_channel(**fields)` will save it (its defaults for the rest)."""
    return Channel(id=0, status=fields.get("status", "active"), notice_id=fields.get("notice_id"),
                   **{k: v for k, v in fields.items() if k not in ("status", "notice_id")})


async def unit_channels(registry: Registry, place_slug: str) -> list[Channel]:
    """The active channels of the unit `place_slug` belongs to (itself and its former provinces)."""
    places = registry.places
    return await registry.store.channels_of(registry.scope(places.unit_of(places.places[place_slug])))


def in_store_order(channels: list[Channel]) -> list[Channel]:
    """The order the store lists channels in (by id), a channel not saved yet (id 0) after every saved one."""
    return sorted(channels, key=lambda c: (c.id == 0, c.id))


async def channel_now(registry: Registry, channel_id: int) -> Channel:
    channel = await registry.store.channel_by_id(channel_id)
    if channel is None:
        raise Conflict(str(channel_id))
    return channel


# --- the kinds ---------------------------------------------------------------------------------------------
class ChangeKind:
    """A kind of change: its stored name and how it is applied."""

    kind: ClassVar[str]

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str | None:
        """Write the change (inside the caller's transaction), reading through `work` every row it reads or
        writes; the place whose card shows it, if one."""
        raise NotImplementedError


class PreviewedKind(ChangeKind):
    """A kind an admin previews as the unit's card before confirming it."""

    async def preview(self, registry: Registry, p: dict[str, Any]) -> list[Channel]:
        """The unit's active channels as they will be after `apply`, in the store's order. Writes nothing."""
        raise NotImplementedError


class AddChannel(PreviewedKind):
    kind = "add_channel"

    @staticmethod
    def new_channel(p: dict[str, Any]) -> dict[str, Any]:
        """The fields of the channel the change inserts."""
        return {"place_slug": p["place_slug"], "platform": p["platform"], "name": p["name"], "url": p["url"],
                "verified_on": checked_on(p), "notice_id": p.get("notice_id")}

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        await require_free_url(registry.store, p["url"])
        channel_id = await registry.store.insert_channel(**self.new_channel(p))
        work.created_channel(channel_id)
        return str(p["place_slug"])

    async def preview(self, registry: Registry, p: dict[str, Any]) -> list[Channel]:
        current = await unit_channels(registry, p["place_slug"])
        return in_store_order([*current, as_inserted(self.new_channel(p))])


class EditChannel(PreviewedKind):
    kind = "edit_channel"

    @staticmethod
    def written(p: dict[str, Any]) -> dict[str, Any]:
        """The fields the change writes: the ones edited, and checked on the preview's day."""
        return {**p["fields"], "verified_on": checked_on(p)}

    @staticmethod
    def place_slug(channel: Channel, p: dict[str, Any]) -> str:
        """Where the channel is after the change (a "unit" edit moves it)."""
        return str(p["fields"].get("place_slug", channel.place_slug))

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        channel = await work.channel(p["channel_id"])
        fields = dict(p["fields"])
        if "url" in fields:
            await require_free_url(registry.store, fields["url"])
        if "place_slug" in fields and channel.superseded_by is not None:
            raise Conflict(channel.url)  # its successor stays in its unit: retire or re-point that first
        await registry.store.update_channel(channel.id, **self.written(p))
        return self.place_slug(channel, p)

    async def preview(self, registry: Registry, p: dict[str, Any]) -> list[Channel]:
        channel = await channel_now(registry, p["channel_id"])
        edited = replace(channel, **self.written(p))
        current = await unit_channels(registry, self.place_slug(channel, p))
        shown = [edited if c.id == channel.id else c for c in current]
        if all(c.id != channel.id for c in shown) and edited.status == "active":
            shown.append(edited)  # moved in from another unit
        return in_store_order(shown)


class RetireChannel(PreviewedKind):
    kind = "retire_channel"

    @staticmethod
    def new_successor(channel: Channel, p: dict[str, Any]) -> dict[str, Any]:
        """The fields of a successor not registered yet: the old page's unit and name, none of its sources."""
        return {"place_slug": channel.place_slug, "platform": p["successor_platform"], "name": channel.name,
                "url": p["successor_url"], "verified_on": checked_on(p)}

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        store = registry.store
        channel = await work.channel(p["channel_id"])
        if channel.status != "active":
            raise Conflict(channel.url)
        successor_id = None
        if p.get("successor_url"):
            existing = await store.channel_by_url(p["successor_url"])
            if existing is None:
                successor_id = await store.insert_channel(**self.new_successor(channel, p))
                work.created_channel(successor_id)
            else:
                # An existing successor is read, not written: it is part of what undo must find unchanged.
                successor = await work.channel(existing.id)
                if problem := successor_problem(registry.places, channel, successor):
                    raise Conflict(problem)
                successor_id = successor.id
        await store.update_channel(channel.id, status="superseded" if successor_id else "retired",
                                   superseded_by=successor_id)
        return channel.place_slug

    async def preview(self, registry: Registry, p: dict[str, Any]) -> list[Channel]:
        channel = await channel_now(registry, p["channel_id"])
        shown = [c for c in await unit_channels(registry, channel.place_slug) if c.id != channel.id]
        if p.get("successor_url") and await registry.store.channel_by_url(p["successor_url"]) is None:
            shown.append(as_inserted(self.new_successor(channel, p)))
        # An existing successor is left as it is: it is among the unit's channels already.
        return in_store_order(shown)


class AddNotice(ChangeKind):
    kind = "add_notice"

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        store = registry.store
        notice_id = await insert_notice(store, p)
        work.created_notice(notice_id)
        for channel_id in p["channel_ids"]:
            await work.channel(channel_id)
            await store.link_notice_channel(notice_id, channel_id)
            # The newest notice is the channel's source from now on.
            await store.update_channel(channel_id, notice_id=notice_id, verified_on=checked_on(p))
        return str(p["place_slug"])


class Import(ChangeKind):
    kind = "import"

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str | None:
        store = registry.store
        notice_ids: dict[str, int] = {}
        for n in p["notices"]:
            existing = await store.notice_id_by_key(n["key"]) if n.get("key") else None
            if existing is None:
                existing = await insert_notice(store, n)
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
                    problem = successor_problem(registry.places, own, successor) if own.status == "active" else None
                    if problem:
                        raise Conflict(problem)
                    await store.update_channel(own.id, superseded_by=successor.id)
        return None


class Ingest(ChangeKind):
    """A notice read by bot.ingest, with its channels: new ones registered, ones of the same unit re-sourced to
    it, retired and replaced ones marked so. A link registered to another unit refuses the whole change."""

    kind = "ingest"

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        store, places = registry.store, registry.places
        unit = places.unit_of(places.places[p["place_slug"]])
        notice_id = await insert_notice(store, p["notice"])
        work.created_notice(notice_id)
        ids: dict[str, int] = {}
        for c in p["channels"]:
            status = "active" if c["status"] == "active" else "retired"  # "superseded" once its successor is in
            existing = await store.channel_by_url(c["url"])
            if existing is None:
                channel_id = await store.insert_channel(
                    place_slug=p["place_slug"], platform=c["platform"], name=c["name"], url=c["url"],
                    verified_on=today(), notice_id=notice_id, status=status, as_written=c.get("as_written"),
                    since=c.get("since"))
                work.created_channel(channel_id)
            else:
                channel = await work.channel(existing.id)
                if places.unit_of(places.places[channel.place_slug]) != unit:
                    raise Conflict(channel.url)
                channel_id = channel.id
                await store.update_channel(channel_id, notice_id=notice_id, verified_on=today(), status=status,
                                           superseded_by=None, since=c.get("since") or channel.since)
            await store.link_notice_channel(notice_id, channel_id)
            ids[c["url"]] = channel_id
        for c in p["channels"]:
            successor = ids.get(c.get("superseded_by_url") or "")
            if successor is not None and successor != ids[c["url"]]:
                await store.update_channel(ids[c["url"]], status="superseded", superseded_by=successor)
        return str(p["place_slug"])


class Reverify(ChangeKind):
    """An admin looked at an active channel again and it is still the unit's page: its "last checked" date
    (`verified_on`) becomes the stamp's day, and nothing else changes (its source stays the notice or the admin
    that vouched for it). Not previewed: /reverify proposes and confirms it at once, audited and undoable."""

    kind = "reverify"

    async def apply(self, registry: Registry, work: Touched, p: dict[str, Any]) -> str:
        channel = await work.channel(p["channel_id"])
        stamp = checked_on(p)
        if channel.status != "active" or channel.verified_on == stamp:
            raise Conflict(channel.url)  # retired meanwhile, or someone stamped it already: nothing to write
        await registry.store.update_channel(channel.id, verified_on=stamp)
        return channel.place_slug


ADD_CHANNEL, EDIT_CHANNEL, RETIRE_CHANNEL = AddChannel(), EditChannel(), RetireChannel()
REVERIFY = Reverify()

KINDS: dict[str, ChangeKind] = {k.kind: k for k in (ADD_CHANNEL, EDIT_CHANNEL, RETIRE_CHANNEL, AddNotice(), Import(),
                                                    Ingest(), REVERIFY)}
"""Every kind of change by its stored name: what bot.changes applies on Confirm."""
