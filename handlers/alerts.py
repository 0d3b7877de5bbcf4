"""What an alert says: the changes in plain words ("Mới: …", "Ngừng sử dụng: … → thay bằng …"), then the unit's
card as it is now — one Reply that stands alone when forwarded, like every reply. Also the composer the delivery
worker (bot.outbox) calls for each outbox row: an alert, or an admin's weekly digest.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bot.clock import vietnam_today
from bot.models import AuditEntry
from bot.people import WEB_VISITOR
from bot.replies import Reply, bold, italic
from bot.services import Registry, UnitView
from bot.store import ALERT, DIGEST, OutboxRow
from bot.upkeep import digest_reply, due_channels
from handlers.context import Context
from handlers.public import channels_reply


class AlertComposer:
    """Builds the Reply for an outbox row, in the row's language, from what the store holds now.

    An alert's Reply is made once per language and handed to every chat it goes to (so a front-end renders it
    once, as it does a card: Reply.rendered), for as long as its unit's view is the same; a write makes it anew.
    """

    KEEP = 32  # alerts (per language) remembered: those going out now

    def __init__(self, registry: Registry, public_url: str = "") -> None:
        self.registry = registry
        self.public_url = public_url
        self._made: OrderedDict[tuple[int, str], tuple[UnitView, Reply]] = OrderedDict()

    async def __call__(self, row: OutboxRow) -> Reply | None:
        ctx = Context(self.registry, row.lang, WEB_VISITOR, chat=row.chat_id, public_url=self.public_url)
        if row.kind == ALERT:
            return await self._alert(ctx, row.ref)
        if row.kind == DIGEST:  # what is due now (it may have been re-verified since the digest was queued)
            due = await due_channels(self.registry, months=self.registry.review_months, today=vietnam_today())
            return digest_reply(self.registry, due, row.lang)
        return None

    async def _alert(self, ctx: Context, alert_id: int) -> Reply | None:
        key = (alert_id, ctx.lang)
        made = self._made.get(key)
        if made is not None and await self.registry.unit_view(made[0].unit) is made[0]:
            self._made.move_to_end(key)
            return made[1]
        found = await _alert_and_view(ctx, alert_id)
        if found is None:
            return None
        reply, view = found
        self._made[key] = (view, reply)
        while len(self._made) > self.KEEP:
            self._made.popitem(last=False)
        return reply


async def alert_reply(ctx: Context, alert_id: int) -> Reply | None:
    found = await _alert_and_view(ctx, alert_id)
    return found[0] if found else None


async def _alert_and_view(ctx: Context, alert_id: int) -> tuple[Reply, UnitView] | None:
    """The alert's Reply, and the unit's view its card was drawn from."""
    store = ctx.registry.store
    found = await store.alert(alert_id)
    if found is None:
        return None
    unit_slug, audit_ids = found
    unit = ctx.registry.places.places.get(unit_slug)
    if unit is None:
        return None
    scope = set(ctx.registry.scope(unit))
    reply = Reply().add(bold("🔔 " + ctx.t("alert_title", name=unit.full_name)))
    for audit_id in audit_ids:
        entry = await store.audit_entry(audit_id)
        if entry is not None:
            for line in change_lines(ctx, entry, scope):
                reply.add(line)
    view = await ctx.registry.unit_view(unit)
    card = channels_reply(ctx, view)
    reply.blank().add(italic(ctx.t("alert_card_now")))
    reply.lines.extend(card.lines)
    reply.image, reply.buttons, reply.share_query = card.image, card.buttons, card.share_query
    reply.add(italic(ctx.t("alert_footer", slug=unit.slug)))
    return reply, view


def change_lines(ctx: Context, entry: AuditEntry, scope: set[str]) -> list[str]:
    """One change to the channels of these places, in words a group reads at a glance."""
    before, after = entry.before or {}, entry.after or {}
    every = {c["id"]: c for c in [*before.get("channels", []), *after.get("channels", [])]}
    old = {c["id"]: c for c in before.get("channels", []) if c["place_slug"] in scope}
    lines = [ctx.t("alert_undo")] if entry.action == "undo" else []
    for c in after.get("channels", []):
        if c["place_slug"] not in scope:
            if c["id"] in old:  # moved to another unit
                lines.append(ctx.t("alert_left", what=_what(old.pop(c["id"])), unit=_unit_name(ctx, c["place_slug"])))
            continue
        prev = old.pop(c["id"], None)
        lines.extend(_channel_lines(ctx, prev, c, every))
    for c in old.values():  # rows that are no more (an undone addition)
        lines.append(ctx.t("alert_removed", what=_what(c)))
    before_notices = {n["id"] for n in before.get("notices", [])}
    for n in after.get("notices", []):
        if n["id"] not in before_notices and n.get("place_slug") in scope:
            lines.append(ctx.t("alert_notice", issuer=n["issuer"], subject=str(n["subject"])[:120]))
    return lines


def _channel_lines(ctx: Context, prev: dict[str, Any] | None, c: dict[str, Any],
                   every: dict[int, dict[str, Any]]) -> list[str]:
    active = c["status"] == "active"
    if prev is None:
        return [ctx.t("alert_new", what=_what(c))] if active else []
    was_active = prev["status"] == "active"
    if was_active and not active:
        successor = every.get(c.get("superseded_by") or 0)
        if successor is not None:
            return [ctx.t("alert_replaced", what=_what(prev), url=successor["url"])]
        return [ctx.t("alert_retired", what=_what(prev))]
    if active and not was_active:
        return [ctx.t("alert_back", what=_what(c))]
    lines = []
    if active and prev["url"] != c["url"]:
        lines.append(ctx.t("alert_moved", old=prev["url"], new=c["url"]))
    if active and prev["name"] != c["name"]:
        lines.append(ctx.t("alert_renamed", url=c["url"], old=prev["name"], new=c["name"]))
    return lines


def _unit_name(ctx: Context, slug: str) -> str:
    place = ctx.registry.places.places.get(slug)
    return ctx.registry.places.unit_of(place).name if place else slug


def _what(c: dict[str, Any]) -> str:
    return f"{c['name']} — {c['url']}"
