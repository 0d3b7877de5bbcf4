"""Public commands: /start, /help, /channels, /notice, /verify, and a bare message in a private chat."""

from __future__ import annotations

import math
import re

from bot.changes import Changes
from bot.extract import FoundLink, links_in
from bot.i18n import EN, VI, t
from bot.links import looks_like_url
from bot.memo import ViewMemo
from bot.places import Place, Resolution, Status
from bot.replies import Choice, Pager, Reply, UrlButton, bold, code, italic
from bot.services import (
    NOTICES_PER_PAGE,
    ChannelView,
    NoticePage,
    UnitView,
    Verdict,
    format_date,
    notice_date,
    notice_number,
    notice_reference,
)
from bot.text import fold
from bot.validate import ascii_int
from bot.verification import DANGER
from handlers.commands import command
from handlers.context import Context

UNITS_PER_PAGE = 12
DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@command("start")
async def start(ctx: Context, args: str) -> Reply:
    """Welcome; with a deep-link payload (a unit's slug), that unit's card."""
    payload = args.strip()
    if payload and DEEP_LINK.match(payload) and payload in ctx.registry.places.places:
        return await _card(ctx, Resolution(Status.FOUND, ctx.registry.places.places[payload]), payload)
    covered = sum(1 for n in (await ctx.registry.coverage()).values() if n)
    reply = Reply().add(bold(ctx.t("welcome", covered=covered)))
    return reply.extend(await help_(ctx, ""))


@command("help", menu=50)
async def help_(ctx: Context, args: str) -> Reply:
    reply = Reply().add(bold(ctx.t("help_title")))
    for key in ("help_channels", "help_notice", "help_verify", "help_poster", "help_report", "help_help"):
        reply.add(ctx.t(key))
    reply.blank().add(italic(ctx.t("help_examples")))
    if ctx.bot_username:
        reply.add(ctx.t("help_inline", bot=ctx.bot_username))
    if await Changes(ctx.registry).is_admin(ctx.user, ctx.super_admins):
        reply.blank().add(ctx.t("help_admin"))
    return reply


@command("channels", menu=10)
async def channels(ctx: Context, args: str) -> Reply:
    """/channels <unit> [page]: a card of many channels comes an album (10 images) at a time."""
    words = args.split()
    page = ascii_int(words[-1], 1, 10**6) if len(words) > 1 else None
    query = " ".join(words[:-1]) if page is not None else args.strip()
    if not query:
        return await units_menu(ctx, 1)
    return await _card(ctx, ctx.registry.resolve(query), query, page or 1)


async def units_menu(ctx: Context, page: int) -> Reply:
    """The 34 units as choices, UNITS_PER_PAGE at a time, alphabetically, each with how many channels it has."""
    units = ctx.registry.places.units()
    counts = await ctx.registry.coverage()
    pages = math.ceil(len(units) / UNITS_PER_PAGE)
    page = min(max(page, 1), pages)
    chunk = units[(page - 1) * UNITS_PER_PAGE : page * UNITS_PER_PAGE]
    reply = Reply().add(ctx.t("ask_province"))
    reply.add(italic(ctx.t("page", page=page, pages=pages)))
    reply.choices = [Choice(ctx.t("unit_count", name=u.name, count=counts[u.slug]) if counts[u.slug] else
                            ctx.t("unit_none", name=u.name), "channels", u.slug) for u in chunk]
    reply.pager = Pager("units", "", page, pages)
    return reply


@command("lang")
async def lang(ctx: Context, args: str) -> Reply:
    """/lang vi|en: the language of every reply from now on, on this platform (kept across restarts)."""
    choice = fold(args).strip()
    chosen = {"vi": VI, "viet": VI, "tieng viet": VI, "vietnamese": VI, "en": EN, "english": EN,
              "tieng anh": EN}.get(choice)
    if chosen is None:
        return Reply().add(ctx.t("lang_usage"))
    ctx.lang = chosen
    reply = Reply().add(t("lang_set", chosen))
    reply.language = chosen
    return reply


@command("units")  # a page of the units menu (its pager)
async def units(ctx: Context, args: str) -> Reply:
    return await units_menu(ctx, ascii_int(args.strip(), 1, 1000) or 1)


@command("notice", menu=20)
async def notice(ctx: Context, args: str) -> Reply:
    """/notice <unit> [page]: the unit's notices, newest first, a few per page."""
    words = args.split()
    page = ascii_int(words[-1], 1, 10**6) if len(words) > 1 else None
    if page is not None:
        words.pop()
    page = page or 1
    query = " ".join(words)
    if not query:
        return Reply().add(ctx.t("ask_province_notice"))
    found = ctx.registry.resolve(query)
    if found.status is Status.HELP:
        return await help_(ctx, "")
    if found.status is not Status.FOUND or found.place is None:
        return _not_one(ctx, found, query, "notice")
    listing = await ctx.registry.notices_of(found.place, page)
    key = (ctx.lang, found.place.slug, found.corrected)
    known = _NOTICES.get(listing, *key)
    return known if known is not None else _NOTICES.put(listing, *key, value=notice_reply(ctx, listing, found))


def notice_reply(ctx: Context, listing: NoticePage, found: Resolution) -> Reply:
    """A page of a unit's notices in full: reference, date (a blank day stays blank), subject, the channels each
    announced."""
    unit, notices, channels_by_id = listing.unit, listing.notices, listing.channels
    reply = Reply().add(bold(ctx.t("notice_title", name=unit.full_name)))
    _merger_lines(ctx, reply, found)
    if not notices:
        return reply.add(ctx.t("no_notices", name=unit.name))
    if listing.pages > 1:
        reply.add(italic(ctx.t("page", page=listing.page, pages=listing.pages)))
    first = (listing.page - 1) * NOTICES_PER_PAGE
    for i, n in enumerate(notices, first + 1):
        reply.blank()
        day_note = ctx.t("day_unknown") if n.month and n.day is None else ""
        reply.add(bold(f"{i}. {n.issuer}"))
        number_note = f" {ctx.t('unknown_number')}" if not n.number else ""
        reply.add(ctx.t("number", v=notice_number(n) + number_note))
        reply.add(ctx.t("date", v=(f"{n.location}, " if n.location else "") + notice_date(n) + day_note))
        reply.add(ctx.t("subject", v=n.subject))
        if n.summary:
            reply.add(ctx.t("summary", v=n.summary))
        if n.signer:
            reply.add(ctx.t("signer", v=n.signer + (f" — {n.signer_title}" if n.signer_title else "")))
        if n.managing_unit:
            m = n.managing_unit
            reply.add(ctx.t("managing_unit", v=m.name))
            if m.address:
                reply.add(ctx.t("address", v=m.address))
            if m.phone:
                reply.add(ctx.t("phone", v=m.phone))
            if m.emails:
                reply.add(ctx.t("emails", v=", ".join(m.emails)))
        if n.url:
            reply.add(ctx.t("link", v=n.url))
        announced = [channels_by_id[c] for c in n.channel_ids if c in channels_by_id]
        if announced:
            reply.add(ctx.t("announced"))
            for c in announced:
                status = "" if c.status == "active" else f" ({ctx.t('status_' + c.status)})"
                since = f" — {ctx.t('live_from', date=format_date(c.since))}" if c.since else ""
                reply.add(f"• {c.name}: ", c.url + status + since)
        if n.recipients:
            reply.add(ctx.t("recipients", v="; ".join(n.recipients)))
    reply.choices = [Choice(ctx.t("see_channels"), "channels", unit.slug)]
    reply.pager = Pager("notice", unit.slug, listing.page, listing.pages)
    return reply


@command("verify", menu=30)
async def verify(ctx: Context, args: str) -> Reply:
    """/verify <link…>, or /verify as a reply to a message: a verdict for every link, most dangerous first."""
    found = links_in(args) or [FoundLink(w) for w in args.split()[:1]]
    if found:
        links = (*found, *ctx.links)
        known = _VERDICTS.get(ctx.registry.epoch, ctx.lang, links)
        return known if known is not None else _VERDICTS.put(ctx.registry.epoch, ctx.lang, links,
                                                              value=await verify_links(ctx, list(links)))
    if ctx.replied_links:
        reply = await verify_links(ctx, list(ctx.replied_links))
        reply.answer_replied = True
        return reply
    if ctx.replied_text is not None:
        return Reply().add(ctx.t("verify_no_links"))
    return Reply().add(ctx.t("verify_usage"))


async def verify_links(ctx: Context, found: list[FoundLink]) -> Reply:
    judged = [(link, await ctx.registry.verify(link.url)) for link in dict.fromkeys(found)]
    judged.sort(key=lambda pair: DANGER.index(pair[1].status))
    reply = Reply()
    if len(judged) > 1:
        reply.add(bold(ctx.t("verify_many", count=len(judged))))
    for i, (link, verdict) in enumerate(judged):
        if i or len(judged) > 1:
            reply.blank()
        _verdict_lines(ctx, reply, link, verdict)
    units = {v.unit.slug: v.unit for _, v in judged if v.unit}
    reply.choices = [Choice(u.name, "channels", u.slug) for u in units.values()]
    return reply


def _verdict_lines(ctx: Context, reply: Reply, link: FoundLink, verdict: Verdict) -> None:
    """One verdict. A link we do not vouch for is shown as code, so that no chat app makes it clickable."""
    if link.shown and link.shown.strip() != link.url:
        reply.add(ctx.t("verify_shown", text=link.shown[:100]))
    status = verdict.status
    if status in ("lookalike", "refused", "service", "government", "unregistered"):
        reply.add(bold(ctx.t(f"verdict_{status}")))
        reply.add(code(link.url[:300]))
        if status == "lookalike" and verdict.resembles:
            reply.add(ctx.t("lookalike_of", url=verdict.resembles.url))
        elif verdict.resembles:
            reply.add(ctx.t("close_to", url=verdict.resembles.url))
        elif verdict.error:
            reply.add(ctx.t(f"link_{verdict.error.code}", detail=verdict.error.detail))
        if status in ("lookalike", "unregistered", "government"):
            reply.add(ctx.t("unregistered_hint"))
        return
    assert verdict.view and verdict.unit
    view = verdict.view
    if status == "official":
        reply.add(bold(ctx.t("verdict_official", name=verdict.unit.full_name)))
    else:
        reply.add(bold(ctx.t(f"verdict_{status}")))
        reply.add(ctx.t("belongs_to", name=verdict.unit.full_name))
    if ctx.registry.is_former_channel(verdict.unit, view):
        reply.add(_former_section(ctx, verdict.unit, view))
    reply.add(f"{view.platform_label}: {view.channel.name}{_former_note(ctx, view, verdict.unit)}")
    reply.add(view.channel.url)
    if verdict.successor:
        reply.add(ctx.t("superseded_by", url=verdict.successor.url))
    _provenance(ctx, reply, view)


async def text(ctx: Context, message: str) -> Reply:
    """A message that is not a command: its links are verified, a province name answered with its card."""
    found = [*links_in(message), *ctx.links]
    if found:
        return await verify_links(ctx, found)
    if looks_like_url(message):
        return await verify(ctx, message)
    found_place = ctx.registry.resolve(message)
    if found_place.status is Status.FOUND:
        return await _card(ctx, found_place, message)
    if found_place.status is Status.HELP:  # "xin chào", "help", "giúp": how to use the bot, not a guess
        return await help_(ctx, "")
    return _not_one(ctx, found_place, message, "channels")


# --- building blocks ---------------------------------------------------------------------------------
# The cards answered lately, per (view, language, page, place asked for, public URL): the same Reply object for
# everyone who asks, so that a front-end renders it once (Reply.rendered). Replies from here are never changed.
_CARDS: ViewMemo[Reply] = ViewMemo()
# The same for /notice pages, per (page of notices, language, place asked for): a write makes new pages.
_NOTICES: ViewMemo[Reply] = ViewMemo()
# And for `/verify <links>`, per (registry's state, language, links): every write renews the registry's epoch.
_VERDICTS: ViewMemo[Reply] = ViewMemo()


async def _card(ctx: Context, found: Resolution, query: str, page: int = 1) -> Reply:
    if found.status is Status.HELP:  # "/channels help", "/channels giúp": how to use it, not "not found"
        return await help_(ctx, "")
    if found.status is not Status.FOUND or found.place is None:
        return _not_one(ctx, found, query, "channels")
    view = await ctx.registry.unit_view(found.place)
    key = (ctx.lang, page, found.place.slug, found.corrected, ctx.public_url)
    known = _CARDS.get(view, *key)
    return known if known is not None else _CARDS.put(view, *key, value=channels_reply(ctx, view, found, page))


def channels_reply(ctx: Context, view: UnitView, found: Resolution | None = None, page: int = 1) -> Reply:
    """A unit's card: the answer first (unit, channels with full URLs), then where it comes from and when.

    Past 80 channels (10 images, one album) a page shows the channels of one album, and says how to get the
    next: a reply stays a few messages, and its URL buttons fit one keyboard."""
    unit = view.unit
    page = min(max(page, 1), view.albums)
    first, last = view.album_entries(page)
    reply = Reply().add(bold(ctx.t("unit_title", name=unit.full_name)))
    if found:
        _merger_lines(ctx, reply, found)
    if view.merged:
        reply.add(italic(ctx.t("includes", names=", ".join(p.name for p in view.merged))))
    if not view.channels:
        # Nothing to show or share: text only, saying so, and how to propose one. No image, no share button.
        reply.add(ctx.t("no_channels", name=unit.name))
        reply.add(ctx.t("no_channels_hint", name=unit.name))
        return reply
    shown = view.channels[first:last]
    if view.albums > 1:
        reply.add(italic(ctx.t("channels_part", first=first + 1, last=last, total=len(view.channels), page=page,
                               pages=view.albums)))
    in_former_section = False
    for cv in shown:
        if ctx.registry.is_former_channel(unit, cv) and not in_former_section:
            in_former_section = True
            reply.blank().add(bold(_former_section(ctx, unit, cv)))
        reply.add("• ", bold(cv.platform_label), f": {cv.channel.name}{_former_note(ctx, cv, unit)}")
        reply.add(cv.channel.url)
        _provenance(ctx, reply, cv)
    if last < len(view.channels):
        reply.add(ctx.t("more_channels", count=len(view.channels) - last, slug=unit.slug, next=page + 1))
    if view.as_of:
        reply.blank().add(ctx.t("as_of", date=format_date(view.as_of)))
    reply.image = ctx.registry.card_picture(view, page)
    reply.buttons = [UrlButton(ctx.t("open", platform=cv.platform_label), cv.channel.url) for cv in shown]
    if ctx.public_url:  # the unit's page on the public directory (bot/web)
        reply.buttons.append(UrlButton(ctx.t("web_page", name=unit.name), f"{ctx.public_url}/don-vi/{unit.slug}/"))
    reply.share_query = unit.name
    if view.notices:
        reply.choices = [Choice(ctx.t("see_notice"), "notice", unit.slug)]
    reply.pager = Pager("channels", unit.slug, page, view.albums)
    return reply


def _provenance(ctx: Context, reply: Reply, cv: ChannelView) -> None:
    """Where this channel's facts come from — its own notice, or the admin who added it and when — and its dates."""
    channel = cv.channel
    if cv.notice is not None:
        reply.add(italic(ctx.t("source", notice=notice_reference(cv.notice, ctx.lang))))
    else:
        reply.add(italic(ctx.t("added_by_admin", date=format_date(channel.verified_on))))
    if channel.since:
        reply.add(italic(ctx.t("live_from", date=format_date(channel.since))))
    if channel.status != "active" and channel.updated_at:
        reply.add(italic(ctx.t("retired_since", date=format_date(channel.updated_at[:10]))))
    reply.add(italic(ctx.t("last_checked", date=format_date(channel.verified_on))))


def _former_section(ctx: Context, unit: Place, cv: ChannelView) -> str:
    merged_on = cv.place.merged_on.strftime("%d/%m/%Y") if cv.place.merged_on else "01/07/2025"
    confirmed = cv.notice is not None and cv.notice.place_slug == unit.slug
    key = "former_section_confirmed" if confirmed else "former_section"
    return ctx.t(key, old=cv.place.full_name, date=merged_on, unit=unit.full_name)


def _former_note(ctx: Context, cv: ChannelView, unit: Place) -> str:
    if cv.place.slug != unit.slug and cv.place.name != unit.name:
        return f" — {ctx.t('channel_of_former', old=cv.place.name)}"
    return ""


def _merger_lines(ctx: Context, reply: Reply, found: Resolution) -> None:
    place = found.place
    if place is None:
        return
    if ctx.registry.places.is_renamed(place):
        unit = ctx.registry.places.unit_of(place)
        merged_on = place.merged_on.strftime("%d/%m/%Y") if place.merged_on else "—"
        reply.add(ctx.t("merged", old=place.name, new=unit.name, date=merged_on))
    elif found.corrected:
        reply.add(italic(ctx.t("understood", name=place.name)))


def _not_one(ctx: Context, found: Resolution, query: str, command: str) -> Reply:
    """Ambiguous: ask back with choices. Unknown: say so, suggest, point at the list."""
    shown = query if len(query) <= 60 else query[:57] + "…"
    if found.status is Status.CHOICES:
        reply = Reply().add(ctx.t("choose", query=shown))
        reply.choices = [Choice(_place_label(ctx, p), command, p.slug) for p in found.choices]
        return reply
    reply = Reply().add(ctx.t("not_found", query=shown))
    if found.suggestions:
        reply.add(ctx.t("suggest", names=", ".join(_place_label(ctx, p) for p in found.suggestions)))
        reply.choices = [Choice(_place_label(ctx, p), command, p.slug) for p in found.suggestions]
    return reply.add(ctx.t("try_list"))


def _place_label(ctx: Context, place: Place) -> str:
    if ctx.registry.places.is_renamed(place):
        return f"{place.name}{ctx.t('former_suffix')} → {ctx.registry.places.unit_of(place).name}"
    return place.name
