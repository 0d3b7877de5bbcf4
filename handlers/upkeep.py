"""Upkeep commands (admins): /review lists the active channels nobody has verified for BOT_REVIEW_MONTHS months,
oldest first; /reverify <url> stamps one as checked today.

A re-verification is a stamp, not an edit: nothing about the channel but its "last checked" date changes, so it
is proposed and confirmed at once (no preview), and like every change it writes one audit row that /undo can
revert. Which channels are due is bot.upkeep's rule; the lookup by URL is the one /editchannel and
/retirechannel use (the canonical link, so any spelling of the same page finds it).
"""

from __future__ import annotations

import math

from bot.change_kinds import REVERIFY
from bot.changes import Outcome, today
from bot.clock import vietnam_today
from bot.models import Channel, Notice
from bot.replies import Pager, Reply, bold, code, italic
from bot.services import format_date, notice_reference
from bot.upkeep import Due, due_channels, former_name, platform_label
from bot.validate import ascii_int
from handlers.admin import changes, registered_channel
from handlers.commands import command
from handlers.context import Context

REVIEW_PAGE = 8  # entries per /review page: each takes five short lines


@command("review", menu=155, admin=True)
async def review(ctx: Context, args: str) -> Reply:
    """/review [page]: the channels due for another look, oldest first, each with what to send once checked."""
    typed = args.strip()
    page = ascii_int(typed, 1, 10**6) if typed else 1
    if page is None:
        return Reply().add(ctx.t("review_usage"))
    months = ctx.registry.review_months
    due = await due_channels(ctx.registry, months=months, today=vietnam_today())  # as the digest counts
    if not due:
        return Reply().add(bold(ctx.t("review_none", months=months)))
    pages = math.ceil(len(due) / REVIEW_PAGE)
    page = min(page, pages)
    shown = due[(page - 1) * REVIEW_PAGE : page * REVIEW_PAGE]
    notice_ids = {d.channel.notice_id for d in shown if d.channel.notice_id}
    notices = {n.id: n for n in await ctx.registry.store.notices_by_ids(notice_ids)} if notice_ids else {}
    reply = Reply().add(bold(ctx.t("review_title", count=len(due), months=months)))
    reply.add(italic(ctx.t("page", page=page, pages=pages)))
    for entry in shown:
        reply.blank()
        _entry(ctx, reply, entry, notices.get(entry.channel.notice_id or 0))
    reply.blank().add(italic(ctx.t("review_hint")))
    reply.pager = Pager("review", "", page, pages)
    return reply


def _entry(ctx: Context, reply: Reply, entry: Due, notice: Notice | None) -> None:
    """Unit, platform and name; the full URL; when it was last verified and on whose word; the command to stamp
    it. Bullets, not numbers: on a front-end without buttons a number picks one of the reply's pages."""
    channel = entry.channel
    former = former_name(ctx.registry, channel)
    unit = entry.unit_name + (f" — {ctx.t('channel_of_former', old=former)}" if former else "")
    reply.add("• ", bold(unit), f" · {platform_label(channel)}: {channel.name}")
    reply.add(channel.url)
    reply.add(italic(ctx.t("last_checked", date=format_date(channel.verified_on))))
    if notice is not None:  # the channel's own source, in the words its card uses
        reply.add(italic(ctx.t("source", notice=notice_reference(notice, ctx.lang))))
    else:
        reply.add(italic(ctx.t("added_by_admin", date=format_date(channel.verified_on))))
    reply.add(code(f"/reverify {channel.url}"))


@command("reverify", menu=156, admin=True)
async def reverify(ctx: Context, args: str) -> Reply:
    """/reverify <url>: the active channel at this URL was checked today and is still right."""
    words = args.split()
    if len(words) != 1:
        return Reply().add(ctx.t("reverify_usage"))
    channel = await registered_channel(ctx, words[0])
    if isinstance(channel, Reply):
        return channel  # a refused link, or one the registry does not hold
    stamp = today()
    refused = _not_to_stamp(ctx, channel, stamp)
    if refused is not None:
        return refused
    work = changes(ctx)
    token = await work.propose(ctx.user, REVERIFY.kind, {"channel_id": channel.id, "verified_on": stamp})
    result = await work.confirm(token, ctx.user, ctx.user_name)
    if result.outcome != Outcome.APPLIED:
        # Stamped or retired by someone else between the look-up and the write: say which, as if asked after.
        now = await ctx.registry.store.channel_by_id(channel.id)
        refused = _not_to_stamp(ctx, now, stamp) if now is not None else None
        return refused or Reply().add(bold(ctx.t(f"outcome_{result.outcome}", detail=result.detail)))
    places = ctx.registry.places
    unit = places.unit_of(places.places[channel.place_slug])
    reply = Reply().add(bold(ctx.t("reverified", name=unit.full_name, date=format_date(stamp))))
    reply.add(channel.url)
    return reply.add(ctx.t("reverified_previous", date=format_date(channel.verified_on)))


def _not_to_stamp(ctx: Context, channel: Channel, stamp: str) -> Reply | None:
    """Why this channel gets no stamp today (retired or replaced; stamped today already), or None."""
    if channel.status != "active":
        return Reply().add(ctx.t("reverify_inactive", url=channel.url, status=ctx.t(f"status_{channel.status}")))
    if channel.verified_on == stamp:
        return Reply().add(ctx.t("reverify_already", url=channel.url, date=format_date(stamp)))
    return None
