"""Subscriptions: a chat asks to be told when a unit's channels change (/subscribe, /unsubscribe,
/subscriptions), and admins see how alerts go (/stats). In a group only its own administrators (as the platform
says: Telegram's getChatMember) may change what it subscribes to; in a private chat a user subscribes themselves.
Also the platform's own news about a chat: the bot was removed (its subscriptions end) or the group moved.
"""

from __future__ import annotations

import re

from bot.places import Place, Status
from bot.replies import Reply, bold, italic
from bot.text import fold
from handlers.commands import command, refusal
from handlers.context import Context
from handlers.public import _not_one, _place_label

ALL_WORDS = frozenset({"all", "tat ca", "het", "*"})
_SEPARATORS = re.compile(r"[,;\n]+")


async def _may_change(ctx: Context) -> Reply | None:
    """In a group: a refusal unless the sender administers it (asked of the platform now). None: they may."""
    if ctx.private:
        return None
    if ctx.chat_admin is None:
        return refusal(ctx, "subscribe_group_unsupported")
    if not await ctx.chat_admin():
        return refusal(ctx, "subscribe_not_group_admin")
    return None


def _units(ctx: Context, args: str, command_name: str) -> tuple[list[tuple[str, Place]], list[Reply]]:
    """Each name in the argument (separated by commas, semicolons or lines) → its unit; those that are not
    one unit come back as the reply /channels gives (choices, suggestions)."""
    found: list[tuple[str, Place]] = []
    problems: list[Reply] = []
    for part in _SEPARATORS.split(args):
        query = part.strip()
        if not query:
            continue
        resolution = ctx.registry.resolve(query)
        if resolution.status is Status.FOUND and resolution.place is not None:
            found.append((query, resolution.place))
        else:
            problems.append(_not_one(ctx, resolution, query, command_name))
    return found, problems


@command("subscribe", menu=42)
async def subscribe(ctx: Context, args: str) -> Reply:
    """/subscribe <unit>[, <unit>…]: this chat gets one alert, with the new card, whenever a unit's channels
    change."""
    if not args.strip():
        return await _listing(ctx, ctx.t("subscribe_usage"))
    refused = await _may_change(ctx)
    if refused is not None:
        return refused
    found, problems = _units(ctx, args, "subscribe")
    if not found:
        return problems[0] if len(problems) == 1 else _joined(problems)
    reply = Reply()
    names = []
    for _query, place in found:
        unit = ctx.registry.places.unit_of(place)
        if unit is not place:
            reply.add(ctx.t("subscribe_former", old=_place_label(ctx, place), new=unit.name))
        await ctx.registry.store.subscribe(ctx.user.platform, ctx.chat, unit.slug, ctx.lang, ctx.user.key)
        names.append(unit.name)
    unique = list(dict.fromkeys(names))
    reply.add(bold(ctx.t("subscribed", names=", ".join(unique))))
    reply.add(ctx.t("subscribed_what" if ctx.private else "subscribed_what_group"))
    reply.add(italic(ctx.t("subscribed_undo", name=unique[0])))
    for problem in problems:
        reply.blank().lines.extend(problem.lines)
    return reply


@command("unsubscribe", menu=46)
async def unsubscribe(ctx: Context, args: str) -> Reply:
    """/unsubscribe <unit>|all"""
    if not args.strip():
        return await _listing(ctx, ctx.t("unsubscribe_usage"))
    refused = await _may_change(ctx)
    if refused is not None:
        return refused
    store = ctx.registry.store
    if fold(args).strip() in ALL_WORDS:
        ended = await store.unsubscribe(ctx.user.platform, ctx.chat, None)
        if not ended:
            return Reply().add(ctx.t("subscriptions_none"))
        return Reply().add(bold(ctx.t("unsubscribed", names=_names(ctx, ended))))
    found, problems = _units(ctx, args, "unsubscribe")
    if not found:
        return problems[0] if len(problems) == 1 else _joined(problems)
    slugs = list(dict.fromkeys(ctx.registry.places.unit_of(p).slug for _q, p in found))
    ended = await store.unsubscribe(ctx.user.platform, ctx.chat, slugs)
    reply = Reply()
    if ended:
        reply.add(bold(ctx.t("unsubscribed", names=_names(ctx, ended))))
    missing = [s for s in slugs if s not in ended]
    if missing:
        reply.add(ctx.t("not_subscribed", names=_names(ctx, missing)))
    for problem in problems:
        reply.blank().lines.extend(problem.lines)
    return reply


@command("subscriptions", menu=44)
async def subscriptions(ctx: Context, args: str) -> Reply:
    """/subscriptions: the units this chat is told about."""
    return await _listing(ctx, "")


async def _listing(ctx: Context, first: str) -> Reply:
    reply = Reply()
    if first:
        reply.add(first)
    subs = await ctx.registry.store.subscriptions_of(ctx.user.platform, ctx.chat)
    if not subs:
        return reply.add(ctx.t("subscriptions_none"))
    reply.add(bold(ctx.t("subscriptions_title" if ctx.private else "subscriptions_title_group")))
    for sub in subs:
        unit = ctx.registry.places.places.get(sub.unit_slug)
        reply.add(f"• {unit.full_name if unit else sub.unit_slug}")
    return reply.add(italic(ctx.t("subscriptions_hint")))


@command("stats", menu=230, admin=True)
async def stats(ctx: Context, args: str) -> Reply:
    """/stats: subscriptions per unit; alerts delivered, waiting and failed."""
    store = ctx.registry.store
    counts = await store.subscriber_counts()
    tally = await store.outbox_tally()
    reply = Reply().add(bold(ctx.t("stats_title")))
    reply.add(ctx.t("stats_subscriptions", chats=sum(counts.values()), units=len(counts)))
    places = ctx.registry.places.places
    for slug, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]:
        reply.add(f"• {places[slug].name if slug in places else slug}: {n}")
    reply.blank().add(ctx.t("stats_outbox", sent=tally.sent, pending=tally.pending, failed=tally.failed,
                            dropped=tally.dropped))
    return reply


# --- the platform's news about a chat --------------------------------------------------------------------------
async def chat_ended(ctx: Context, reason: str) -> list[str]:
    """The bot was removed from the chat (or blocked): its subscriptions end, nothing more is sent there."""
    return await ctx.registry.store.chat_gone(ctx.user.platform, ctx.chat, reason)


async def chat_moved(ctx: Context, new_chat: str) -> int:
    """The group became a supergroup: its subscriptions follow it to the new id."""
    return await ctx.registry.store.chat_moved(ctx.user.platform, ctx.chat, new_chat)


def _names(ctx: Context, slugs: list[str]) -> str:
    places = ctx.registry.places.places
    return ", ".join(places[s].name if s in places else s for s in slugs)


def _joined(replies: list[Reply]) -> Reply:
    reply = Reply()
    for i, each in enumerate(replies):
        if i:
            reply.blank()
        reply.lines.extend(each.lines)
        reply.choices.extend(each.choices)
    return reply
