"""Admin commands: roles, channel changes with preview and Confirm, the guided /addnotice, history, undo,
export and import. Every command checks the caller's role on every call; nothing is written before Confirm."""

from __future__ import annotations

import calendar
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.change_kinds import ADD_CHANNEL, EDIT_CHANNEL, RETIRE_CHANNEL
from bot.changes import UNDO, Changes, Outcome, Result, today
from bot.clock import VIETNAM
from bot.i18n import EN, VI, describe_refusal, describe_row, has, t
from bot.links import Link, LinkError, parse_link
from bot.models import Channel
from bot.people import Person, parse_person
from bot.places import Place, Status
from bot.replies import Confirmation, Pager, Reply, bold, italic
from bot.services import format_date
from bot.text import fold, nfc
from bot.transfer import channels_csv, export_registry, plan_import
from bot.validate import Invalid, ascii_int, check_date, clean_text, optional_text
from handlers.commands import command, refusal
from handlers.context import Context
from handlers.public import channels_reply

HISTORY_PAGE = 8


Arg = TypeVar("Arg", str, bytes)  # what follows the command: its text, or an uploaded file's bytes
AdminHandler = Callable[[Context, Arg], Awaitable[Reply]]


def changes(ctx: Context) -> Changes:
    return Changes(ctx.registry)


def admin_only(func: AdminHandler[Arg]) -> AdminHandler[Arg]:
    """For what runs other than as a command (an uploaded file): refuse unless the caller is an admin, now."""

    async def wrapper(ctx: Context, args: Arg) -> Reply:
        if not await changes(ctx).is_admin(ctx.user, ctx.super_admins):
            return refusal(ctx, "not_admin")
        return await func(ctx, args)

    wrapper.__doc__ = func.__doc__
    return wrapper


def clean_name(ctx: Context, text: str) -> str | Reply:
    """A display name as stored (bot.validate), or a Reply saying why it is refused."""
    try:
        return clean_text(text, "name")
    except Invalid as exc:
        return Reply().add(ctx.t(f"invalid_{exc.code}", detail=exc.detail))


# --- roles -------------------------------------------------------------------------------------------------
@command("admins", menu=190, admin=True)
async def admins(ctx: Context, args: str) -> Reply:
    reply = Reply().add(bold(ctx.t("admins_title")))
    for person in sorted(ctx.super_admins):
        reply.add(f"• {person} — {ctx.t('super_admin')}")
    for person, name, granted_by, granted_at in await ctx.registry.store.admins():
        reply.add(f"• {person} {name or ''} — {ctx.t('granted_by', by=granted_by, at=vietnam_time(granted_at))}")
    return reply


def _target(args: str, ctx: Context) -> tuple[Person, str | None] | None:
    """Whom /grant or /revoke means: the author of the message it replies to, else the id typed — on the
    caller's own platform unless it says another ("zalo:<id>", "telegram:<id>")."""
    if ctx.reply_to_user is not None:
        return ctx.reply_to_user
    token = args.strip().split()[0] if args.strip() else ""
    person = parse_person(token, ctx.user.platform)
    return (person, None) if person is not None else None


@command("grant", menu=200, super_admin=True)
async def grant(ctx: Context, args: str) -> Reply:
    target = _target(args, ctx)
    if target is None:
        return Reply().add(ctx.t("grant_usage"))
    added = await changes(ctx).grant(ctx.user, ctx.user_name, target[0], target[1])
    reply = Reply().add(ctx.t("granted" if added else "already_admin", user=target[0]))
    reply.role_changed = target[0] if added else None
    if added:  # the new admin is told, in both languages (we do not know theirs), with what they can do now
        by = ctx.user_name or str(ctx.user)
        note = Reply().add(bold(t("you_are_admin", VI, by=by))).add(t("you_are_admin", EN, by=by))
        note.add(t("help_admin", VI)).add(t("help_admin", EN))
        reply.notify = [(target[0], note)]
    return reply


@command("revoke", menu=210, super_admin=True)
async def revoke(ctx: Context, args: str) -> Reply:
    target = _target(args, ctx)
    if target is None:
        return Reply().add(ctx.t("revoke_usage"))
    removed = await changes(ctx).revoke(ctx.user, ctx.user_name, target[0])
    reply = Reply().add(ctx.t("revoked" if removed else "not_an_admin", user=target[0]))
    reply.role_changed = target[0] if removed else None
    return reply


# --- channels ----------------------------------------------------------------------------------------------
def _link(ctx: Context, text: str) -> Link | Reply:
    """The canonical link, or a Reply saying why it is refused."""
    try:
        return parse_link(text)
    except LinkError as exc:
        return Reply().add(bold(ctx.t("verdict_refused"))).add(ctx.t(f"link_{exc.code}", detail=exc.detail))


def _unit(ctx: Context, query: str, usage: str) -> Place | Reply:
    """Exactly one place, or a Reply listing the options and the usage."""
    found = ctx.registry.resolve(query)
    if found.status is Status.FOUND and found.place:
        return found.place
    reply = Reply().add(ctx.t("unit_unknown", query=query[:60]))
    options = found.choices or found.suggestions
    if options:
        reply.add(ctx.t("unit_options", names=", ".join(f"{p.name} ({p.slug})" for p in options)))
    return reply.add(ctx.t(usage))


async def _preview(ctx: Context, place: Place, channels: list[Channel], title: str, kind: str,
                   payload: dict) -> Reply:
    """The card as it will look after the change, with Confirm / Cancel. Nothing is written yet."""
    unit = ctx.registry.places.unit_of(place)
    view = await ctx.registry.compose_view(unit, channels)
    card = channels_reply(ctx, view)
    token = await changes(ctx).propose(ctx.user, kind, payload)
    reply = Reply().add(bold(ctx.t("preview_title", what=title)))
    reply.add(italic(ctx.t("preview_hint")))
    reply.blank()
    reply.lines.extend(card.lines)
    reply.image = card.image
    reply.confirm = Confirmation(token)
    return reply


@command("addchannel", menu=100, admin=True)
async def addchannel(ctx: Context, args: str) -> Reply:
    """/addchannel <unit> <url> [display name]"""
    words = args.split()
    at = next((i for i, w in enumerate(words) if "." in w and ("/" in w or ":" in w)), None)
    if at is None or at == 0:
        return Reply().add(ctx.t("addchannel_usage"))
    place = _unit(ctx, " ".join(words[:at]), "addchannel_usage")
    if isinstance(place, Reply):
        return place
    link = _link(ctx, words[at])
    if isinstance(link, Reply):
        return link
    existing = await ctx.registry.store.channel_by_url(link.url)
    if existing is not None:
        owner = ctx.registry.places.places[existing.place_slug]
        return Reply().add(ctx.t("already_registered", url=existing.url, name=owner.name, status=existing.status))
    name = clean_name(ctx, " ".join(words[at + 1 :])) if len(words) > at + 1 else place.full_name
    if isinstance(name, Reply):
        return name
    # The "as of" the preview shows is the one saved (bot.change_kinds.checked_on).
    payload = {"place_slug": place.slug, "platform": link.platform, "url": link.url, "name": name,
               "verified_on": today()}
    shown = await ADD_CHANNEL.preview(ctx.registry, payload)
    return await _preview(ctx, place, shown, ctx.t("what_add", url=payload["url"]), ADD_CHANNEL.kind, payload)


async def registered_channel(ctx: Context, text: str) -> Channel | Reply:
    """The registered channel at this URL, or a Reply saying why there is none."""
    link = _link(ctx, text)
    if isinstance(link, Reply):
        return link
    channel = await ctx.registry.store.channel_by_url(link.url)
    return channel if channel is not None else Reply().add(ctx.t("not_registered", url=link.url))


@command("editchannel", menu=110, admin=True)
async def editchannel(ctx: Context, args: str) -> Reply:
    """/editchannel <url> name <new name> | url <new url> | unit <unit>"""
    parts = args.split(maxsplit=2)
    if len(parts) < 3 or parts[1].lower() not in ("name", "url", "unit", "ten", "tên", "don_vi", "donvi"):
        return Reply().add(ctx.t("editchannel_usage"))
    channel = await registered_channel(ctx, parts[0])
    if isinstance(channel, Reply):
        return channel
    field, value = parts[1].lower(), parts[2]
    fields: dict[str, Any] = {}
    if field in ("name", "ten", "tên"):
        name = clean_name(ctx, value)
        if isinstance(name, Reply):
            return name
        fields["name"] = name
    elif field == "url":
        link = _link(ctx, value)
        if isinstance(link, Reply):
            return link
        if await ctx.registry.store.channel_by_url(link.url) is not None:
            return Reply().add(ctx.t("already_registered_short", url=link.url))
        fields.update(url=link.url, platform=link.platform)
    else:
        target = _unit(ctx, value, "editchannel_usage")
        if isinstance(target, Reply):
            return target
        fields["place_slug"] = target.slug
    payload = {"channel_id": channel.id, "fields": fields, "verified_on": today()}
    place = ctx.registry.places.places[EDIT_CHANNEL.place_slug(channel, payload)]
    shown = await EDIT_CHANNEL.preview(ctx.registry, payload)  # as the change saves it: checked today
    return await _preview(ctx, place, shown, ctx.t("what_edit", url=channel.url), EDIT_CHANNEL.kind, payload)


@command("retirechannel", menu=120, admin=True)
async def retirechannel(ctx: Context, args: str) -> Reply:
    """/retirechannel <url> [superseded-by url]"""
    parts = args.split()
    if not 1 <= len(parts) <= 2:
        return Reply().add(ctx.t("retire_usage"))
    channel = await registered_channel(ctx, parts[0])
    if isinstance(channel, Reply):
        return channel
    if channel.status != "active":
        return Reply().add(ctx.t("already_retired", url=channel.url))
    payload: dict[str, object] = {"channel_id": channel.id, "verified_on": today()}
    if len(parts) == 2:
        link = _link(ctx, parts[1])
        if isinstance(link, Reply):
            return link
        if link.url == channel.url:
            return Reply().add(ctx.t("retire_usage"))
        payload.update(successor_url=link.url, successor_platform=link.platform)
        successor = await ctx.registry.store.channel_by_url(link.url)
        if successor is not None and changes(ctx).successor_problem(channel, successor):
            owner = ctx.registry.places.unit_of(ctx.registry.places.places[successor.place_slug])
            return Reply().add(ctx.t("successor_refused", url=successor.url, name=owner.full_name,
                                     status=ctx.t(f"status_{successor.status}")))
    # A new successor as it will be saved: the old page's name, but none of its sources or dates.
    shown = await RETIRE_CHANNEL.preview(ctx.registry, payload)
    place = ctx.registry.places.places[channel.place_slug]
    return await _preview(ctx, place, shown, ctx.t("what_retire", url=channel.url), RETIRE_CHANNEL.kind, payload)


# --- confirm / cancel ---------------------------------------------------------------------------------------
@command("yes", admin=True)  # what a Confirm button sends, or "có" typed against a preview
async def confirm(ctx: Context, token: str) -> Reply:
    return await _after(ctx, await changes(ctx).confirm(token.strip(), ctx.user, ctx.user_name))


@command("no", admin=True)  # a Cancel button, or "không" typed against a preview
async def cancel_change(ctx: Context, token: str) -> Reply:
    return await _after(ctx, await changes(ctx).cancel(token.strip(), ctx.user))


async def _after(ctx: Context, result: Result) -> Reply:
    if result.kind == UNDO and result.outcome in (Outcome.APPLIED, Outcome.CONFLICT):
        reply = Reply().add(bold(ctx.t(f"undo_{result.outcome}", detail=_action(ctx, result.detail))))
    else:
        reply = Reply().add(bold(ctx.t(f"outcome_{result.outcome}", detail=result.detail)))
    reply.alert = result.outcome == Outcome.NOT_YOURS  # someone else's Confirm in a group: tell only them
    reply.settled = result.outcome in (Outcome.APPLIED, Outcome.CANCELLED, Outcome.ALREADY, Outcome.CONFLICT,
                                       Outcome.EXPIRED, Outcome.STALE)
    if result.outcome == Outcome.APPLIED and result.place_slug:
        view = await ctx.registry.unit_view(ctx.registry.places.places[result.place_slug])
        reply.extend(channels_reply(ctx, view))
    return reply


# --- notices: a guided conversation ------------------------------------------------------------------------
NOTICE_STEPS = ("unit", "issuer", "number", "date", "subject", "summary", "signer", "link", "channels")


@command("addnotice", menu=130, admin=True, private=True)
async def addnotice(ctx: Context, args: str) -> Reply:
    """Start the guided /addnotice; each answer comes as a plain message; /cancel stops it."""
    ctx.session["addnotice"] = {"step": 0, "data": {}}
    reply = Reply().add(bold(ctx.t("addnotice_intro")))
    return reply.add(ctx.t("ask_" + NOTICE_STEPS[0]))


@command("cancel")
async def cancel(ctx: Context, args: str) -> Reply:
    """/cancel: leave the guided conversation (if any); a pending change is cancelled with its button."""
    guided, pasted = ctx.session.pop("addnotice", None), ctx.session.pop("ingest", None)
    if guided is None and pasted is None:
        return Reply().add(ctx.t("nothing_to_cancel"))
    return Reply().add(ctx.t("conversation_cancelled"))


async def continue_conversation(ctx: Context, text: str) -> Reply:
    state = ctx.session["addnotice"]
    if not await changes(ctx).is_admin(ctx.user, ctx.super_admins):
        ctx.session.pop("addnotice", None)
        return Reply().add(bold(ctx.t("not_admin")))
    step = NOTICE_STEPS[state["step"]]
    answer = nfc(text).strip()  # each field is cleaned by bot.validate as it is taken
    problem = await _take_answer(ctx, step, answer, state["data"])
    if problem:
        return Reply().add(problem).add(ctx.t("ask_" + step))
    state["step"] += 1
    if state["step"] < len(NOTICE_STEPS):
        return Reply().add(ctx.t("ask_" + NOTICE_STEPS[state["step"]]))
    ctx.session.pop("addnotice", None)
    return await _notice_preview(ctx, state["data"])


def _skip(answer: str) -> bool:
    return answer in ("-", "—", "–", "")


async def _take_answer(ctx: Context, step: str, answer: str, data: dict) -> str | None:
    """Store one answer in `data`, or say what is wrong with it."""
    if len(answer) > 2000:
        return ctx.t("answer_too_long")
    try:
        return await _take_checked_answer(ctx, step, answer, data)
    except Invalid as exc:
        return ctx.t(f"invalid_{exc.code}", detail=exc.detail)


def _text(answer: str, kind: str, *, optional: bool = False) -> str | None:
    return optional_text(answer, kind) if optional else clean_text(answer, kind)


async def _take_checked_answer(ctx: Context, step: str, answer: str, data: dict) -> str | None:
    if step == "unit":
        found = ctx.registry.resolve(answer)
        if found.status is not Status.FOUND or found.place is None:
            return ctx.t("unit_unknown", query=answer[:60])
        data["place_slug"] = found.place.slug
    elif step in ("issuer", "subject"):
        if _skip(answer):
            return ctx.t("required")
        data[step] = _text(answer, step)
    elif step == "number":
        number, slash, suffix = answer.partition("/")
        if _skip(answer):
            number, suffix = "", ""
        elif not slash:
            number, suffix = answer, ""
        # What the notice leaves blank before the slash ("…/VPUB-TTĐH", "-/…") stays unknown.
        data["number"] = _text(number.strip(" .…-–—"), "number", optional=True)
        data["number_suffix"] = _text(suffix.strip(), "number_suffix", optional=True)
    elif step == "date":
        parts = parse_date_answer(answer)
        if parts is None:
            return ctx.t("bad_date", text=answer[:40])
        year, month, day = parts
        try:  # a real date: 31/02/2026 and 13/2026 are refused, saying why
            data["year"], data["month"], data["day"] = check_date(year, month, day)
        except Invalid as exc:
            return _why_not_a_date(ctx, exc, year, month, day)
    elif step in ("summary",):
        data[step] = None if _skip(answer) else _text(answer, "summary")
    elif step == "signer":
        name, _, title = answer.partition(",")
        data["signer"], data["signer_title"] = (None, None) if _skip(answer) else (
            _text(name, "signer"), _text(title, "signer_title", optional=True))
    elif step == "link":
        if _skip(answer):
            data["url"] = None
        else:
            try:
                data["url"] = parse_link(answer).url
            except LinkError as exc:
                return ctx.t(f"link_{exc.code}", detail=exc.detail)
    elif step == "channels":
        data["channel_ids"] = []
        if not _skip(answer):
            unit = ctx.registry.places.unit_of(ctx.registry.places.places[data["place_slug"]])
            scope = set(ctx.registry.scope(unit))
            for word in answer.replace(",", " ").split():
                try:
                    link = parse_link(word)
                except LinkError as exc:
                    return ctx.t(f"link_{exc.code}", detail=exc.detail)
                channel = await ctx.registry.store.channel_by_url(link.url)
                if channel is None or channel.place_slug not in scope:
                    return ctx.t("channel_not_in_unit", url=link.url)
                data["channel_ids"].append(channel.id)
    return None


_NUMERIC_DATE = re.compile(r"(?:([0-9]{1,2})[/.-])?(?:([0-9]{1,2})[/.-])?([0-9]{4})")
# The form Vietnamese documents use: "ngày 5 tháng 12 năm 2026", "tháng 12 năm 2026", "năm 2026" (folded).
_WORDED_DATE = re.compile(r"(?:(?:ngay\s+)?([0-9]{1,2})\s+)?(?:thang\s+([0-9]{1,2})\s+)?(?:nam\s+)?([0-9]{4})")


def parse_date_answer(answer: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) as written — dd/mm/yyyy, mm/yyyy, yyyy, or "ngày 5 tháng 12 năm 2026" — not yet
    checked to be a real date; None when it is not a date at all."""
    text = answer.strip().strip(".")
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        first, second, year = m.groups()
        day, month = (first, second) if second else (None, first)
        return int(year), int(month) if month else None, int(day) if day else None
    words = " ".join(fold(text).replace(",", " ").split())
    if words.startswith("ngay ") and " thang " not in f" {words} ":
        return None  # "ngày 5 năm 2026": a day without its month
    m = _WORDED_DATE.fullmatch(words)
    if not m or not re.search(r"[a-z]", words):
        return None
    day, month, year = m.groups()
    if day and not month:
        return None
    return int(year), int(month) if month else None, int(day) if day else None


def _why_not_a_date(ctx: Context, exc: Invalid, year: int, month: int | None, day: int | None) -> str:
    if exc.code == "bad_year":
        return ctx.t("date_bad_year", year=year, range=exc.detail)
    if exc.code == "bad_month":
        return ctx.t("date_bad_month", month=month)
    written = f"{day:02d}/{month:02d}/{year}" if day and month else f"{day}/{month}/{year}"
    last = calendar.monthrange(year, month)[1] if month and 1 <= month <= 12 else 31
    return ctx.t("date_not_real", date=written, month=month, year=year, days=last)


async def _notice_preview(ctx: Context, data: dict) -> Reply:
    payload = {**data, "key": "n-" + secrets.token_hex(6), "recipients": [], "verified_on": today()}
    token = await changes(ctx).propose(ctx.user, "add_notice", payload)
    reply = Reply().add(bold(ctx.t("preview_title", what=ctx.t("what_notice"))))
    reply.add(italic(ctx.t("preview_hint")))
    place = ctx.registry.places.places[data["place_slug"]]
    reply.add(ctx.t("belongs_to", name=place.full_name))
    number = f"{data.get('number') or '…'}/{data['number_suffix']}" if data.get("number_suffix") else (
        data.get("number") or "…")
    date = "/".join(f"{x:02d}" if i < 2 else str(x)
                    for i, x in enumerate((data.get("day"), data.get("month"), data["year"])) if x)
    reply.add(ctx.t("issuer", v=data["issuer"])).add(ctx.t("number", v=number)).add(ctx.t("date", v=date))
    reply.add(ctx.t("subject", v=data["subject"]))
    if data.get("summary"):
        reply.add(ctx.t("summary", v=data["summary"]))
    if data.get("signer"):
        title = f" — {data['signer_title']}" if data.get("signer_title") else ""
        reply.add(ctx.t("signer", v=data["signer"] + title))
    if data.get("url"):
        reply.add(ctx.t("link", v=data["url"]))
    reply.add(ctx.t("announced"))
    for channel_id in data["channel_ids"]:
        channel = await ctx.registry.store.channel_by_id(channel_id)
        if channel:
            reply.add(f"• {channel.name}: ", channel.url)
    reply.confirm = Confirmation(token)
    return reply


# --- history, undo -----------------------------------------------------------------------------------------
@command("history", menu=150, admin=True)
async def history(ctx: Context, args: str) -> Reply:
    """/history <unit> [page]"""
    words = args.split()
    page = ascii_int(words[-1], 1, 10**6) if len(words) > 1 else None
    if page is not None:
        words.pop()
    if not words:
        return Reply().add(ctx.t("history_usage"))
    place = _unit(ctx, " ".join(words), "history_usage")
    if isinstance(place, Reply):
        return place
    unit = ctx.registry.places.unit_of(place)
    scope = ctx.registry.scope(unit)
    total = await ctx.registry.store.count_audit_of_places(scope)
    pages = max(1, -(-total // HISTORY_PAGE))
    page = min(page or 1, pages)
    entries = await ctx.registry.store.audit_of_places(scope, HISTORY_PAGE, (page - 1) * HISTORY_PAGE)
    reply = Reply().add(bold(ctx.t("history_title", name=unit.full_name)))
    reply.add(italic(ctx.t("page", page=page, pages=pages) + " · " + ctx.t("vietnam_time")))
    if not entries:
        reply.add(ctx.t("history_empty"))
    tallies = await ctx.registry.store.change_tallies(e.id for e in entries)
    for e in entries:
        reply.blank()
        who = f"{e.actor_name or ''} ({e.actor})".strip()
        action = _action(ctx, e.action)
        undoes = f" #{e.undoes}" if e.undoes else ""
        reply.add(bold(f"#{e.id} {vietnam_time(e.at)} — {action}{undoes}"), f" — {who}")
        for line in _diff(ctx, e.before or {}, e.after or {}):
            reply.add(line)
        tally = tallies.get(e.id)
        if tally is not None:  # the alerts this change went out in (bot.alerts): how many chats, how it went
            reply.add(italic(ctx.t("history_alerts", chats=tally.total, sent=tally.sent, pending=tally.pending,
                                   failed=tally.failed, dropped=tally.dropped)))
    reply.pager = Pager("history", unit.slug, page, pages)
    return reply


def _diff(ctx: Context, before: dict, after: dict) -> list[str]:
    """One line per changed row, in words: "~ url: trạng thái đang hoạt động → đã được thay thế"."""
    lines = []
    every = {c["id"]: c for c in [*before.get("channels", []), *after.get("channels", [])]}
    old = {c["id"]: c for c in before.get("channels", [])}
    for c in after.get("channels", []):
        prev = old.pop(c["id"], None)
        if prev is None:
            lines.append(f"+ {c['url']} ({c['name']}, {_value(ctx, 'status', c['status'], every)})")
            continue
        for key in _DIFF_FIELDS:
            if prev.get(key) != c.get(key):
                lines.append(f"~ {prev['url']}: {ctx.t('field_' + key)} {_value(ctx, key, prev.get(key), every)}"
                             f" → {_value(ctx, key, c.get(key), every)}")
    for c in old.values():
        lines.append(f"− {c['url']} ({c['name']}, {_value(ctx, 'status', c['status'], every)})")
    before_notices = {n["id"] for n in before.get("notices", [])}
    after_notices = {n["id"] for n in after.get("notices", [])}
    for n in after.get("notices", []):
        if n["id"] not in before_notices:
            lines.append(f"+ {ctx.t('notice_word')} {n['issuer']}: {n['subject'][:80]}")
    for n in before.get("notices", []):
        if n["id"] not in after_notices:
            lines.append(f"− {ctx.t('notice_word')} {n['issuer']}: {n['subject'][:80]}")
    return lines


_DIFF_FIELDS = ("name", "url", "status", "place_slug", "notice_id", "superseded_by", "verified_on")


def _value(ctx: Context, key: str, value: object, channels: dict[int, dict]) -> str:
    """A stored value as a reader says it: a status in words, a unit by name, a successor by its URL."""
    if value is None:
        return "—"
    if key == "status" and has(f"status_{value}"):
        return ctx.t(f"status_{value}")
    if key == "place_slug" and str(value) in ctx.registry.places.places:
        place = ctx.registry.places.places[str(value)]
        return place.name + (ctx.t("former_suffix") if ctx.registry.places.is_renamed(place) else "")
    if key == "notice_id":
        return ctx.t("notice_ref", id=value)
    if key == "verified_on":
        return format_date(str(value))
    if key == "superseded_by":
        successor = channels.get(value) if isinstance(value, int) else None
        return successor["url"] if successor else ctx.t("channel_ref", id=value)
    return str(value)




def vietnam_time(iso_utc: str) -> str:
    """An audit time (UTC ISO) as Vietnamese readers expect it: "05/12/2026 14:30 (giờ Việt Nam, UTC+7)"."""
    try:
        moment = datetime.fromisoformat(iso_utc)
    except ValueError:
        return iso_utc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


@command("undo", menu=160, admin=True)
async def undo(ctx: Context, args: str) -> Reply:
    """/undo: a preview of exactly what undoing your last change restores, with Confirm / Cancel.

    Only your newest change, once: after it is undone, /undo says so instead of walking back to older ones.
    """
    entry = await changes(ctx).undo_candidate(ctx.user)
    if isinstance(entry, Result):
        action = _action(ctx, entry.detail)
        return Reply().add(bold(ctx.t(f"undo_{entry.outcome}", detail=action)))
    assert entry.before is not None and entry.after is not None
    when = vietnam_time(entry.at)
    reply = Reply().add(bold(ctx.t("preview_title", what=ctx.t("what_undo", id=entry.id,
                                                                action=_action(ctx, entry.action), at=when))))
    reply.add(italic(ctx.t("preview_hint")))
    reply.add(ctx.t("undo_restores"))
    for line in _diff(ctx, entry.after, entry.before):  # from now (the change's "after") back to its "before"
        reply.add(line)
    if entry.place_slug:
        unit = ctx.registry.places.unit_of(ctx.registry.places.places[entry.place_slug])
        restored = await _after_undo(ctx, unit, entry.before, entry.after)
        card = channels_reply(ctx, await ctx.registry.compose_view(unit, restored))
        reply.blank().add(italic(ctx.t("undo_card")))
        reply.lines.extend(card.lines)
        reply.image = card.image
    reply.confirm = Confirmation(await changes(ctx).propose_undo(ctx.user, entry))
    return reply


async def _after_undo(ctx: Context, unit: Place, before: dict, after: dict) -> list[Channel]:
    """The unit's active channels as the undo will leave them: the rows it touched as they were before it."""
    scope = set(ctx.registry.scope(unit))
    touched = {c["id"] for c in after["channels"]} | {c["id"] for c in before["channels"]}
    rows = [c for c in await ctx.registry.store.channels_of(scope) if c.id not in touched]
    rows += [Channel(**{k: v for k, v in c.items() if k in _CHANNEL_KEYS}) for c in before["channels"]
             if c["status"] == "active" and c["place_slug"] in scope]
    return sorted(rows, key=lambda c: c.id)  # the store's order


_CHANNEL_KEYS = frozenset(Channel.__dataclass_fields__)


def _action(ctx: Context, action: str) -> str:
    return ctx.t(f"action_{action}") if action and has(f"action_{action}") else action


# --- export / import ---------------------------------------------------------------------------------------
@command("export", menu=170, admin=True, private=True)
async def export(ctx: Context, args: str) -> Reply:
    data = await export_registry(ctx.registry.store)
    reply = Reply().add(ctx.t("exported", channels=len(data["channels"]), notices=len(data["notices"])))
    reply.files = [("registry.json", json.dumps(data, ensure_ascii=False, indent=1).encode()),
                   ("channels.csv", channels_csv(data))]
    return reply


@admin_only
async def import_file(ctx: Context, content: bytes) -> Reply:
    """A dry run of an import file, with Confirm to apply it all in one transaction."""
    plan = await plan_import(content, ctx.registry.store, ctx.registry.places)
    reply = Reply().add(bold(ctx.t("import_summary", added=len(plan.added), changed=len(plan.changed),
                                   unchanged=plan.unchanged, refused=len(plan.refused))))
    for sign, rows in (("+", plan.added), ("~", plan.changed)):
        for row in rows[:20]:
            reply.add(f"{sign} {describe_row(row.kind, row.number, ctx.lang)}: {row.text}")
    for r in plan.refused[:30]:
        reason = describe_refusal(r.code, r.detail, r.link_code, r.link_detail, ctx.lang)
        reply.add(f"✗ {describe_row(r.row.kind, r.row.number, ctx.lang)}: {reason}")
    if plan.has_changes:
        reply.confirm = Confirmation(await changes(ctx).propose(ctx.user, "import", plan.payload))
    else:
        reply.add(ctx.t("import_nothing"))
    return reply


@command("import", menu=180, admin=True, private=True)
async def import_command(ctx: Context, args: str) -> Reply:
    """/import: in chat, send the JSON file as a document with /import as its caption; where files cannot be
    received (Zalo), where to do it instead."""
    return Reply().add(ctx.t("import_usage" if ctx.uploads else "import_elsewhere"))
