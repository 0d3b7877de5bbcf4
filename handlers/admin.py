"""Admin commands: roles, channel changes with preview and Confirm, the guided /addnotice, history, undo,
export and import. Every command checks the caller's role on every call; nothing is written before Confirm."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from bot.changes import Changes, Outcome, Result, today
from bot.i18n import describe_refusal, describe_row, has
from bot.links import Link, LinkError, parse_link
from bot.models import Channel
from bot.places import Place, Status
from bot.replies import Choice, Confirmation, Reply, bold, italic
from bot.services import format_date
from bot.text import nfc
from bot.transfer import channels_csv, export_registry, plan_import
from bot.validate import Invalid, ascii_int, check_date, clean_text, optional_text
from handlers.context import Context
from handlers.public import channels_reply

HISTORY_PAGE = 8

Arg = TypeVar("Arg", str, bytes)  # what follows the command: its text, or an uploaded file's bytes
AdminHandler = Callable[[Context, Arg], Awaitable[Reply]]


def changes(ctx: Context) -> Changes:
    return Changes(ctx.registry)


def admin_only(func: AdminHandler[Arg]) -> AdminHandler[Arg]:
    """Refuse unless the caller is an admin, checked now (a menu entry is a convenience, not a permission)."""

    async def wrapper(ctx: Context, args: Arg) -> Reply:
        if not await changes(ctx).is_admin(ctx.user_id, ctx.super_admins):
            return Reply().add(bold(ctx.t("not_admin")))
        return await func(ctx, args)

    wrapper.__doc__ = func.__doc__
    return wrapper


def super_admin_only(func: AdminHandler[str]) -> AdminHandler[str]:
    async def wrapper(ctx: Context, args: str) -> Reply:
        if ctx.user_id not in ctx.super_admins:
            return Reply().add(bold(ctx.t("not_super_admin")))
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
@admin_only
async def admins(ctx: Context, args: str) -> Reply:
    reply = Reply().add(bold(ctx.t("admins_title")))
    for user_id in sorted(ctx.super_admins):
        reply.add(f"• {user_id} — {ctx.t('super_admin')}")
    for user_id, name, granted_by, granted_at in await ctx.registry.store.admins():
        reply.add(f"• {user_id} {name or ''} — {ctx.t('granted_by', by=granted_by, at=format_date(granted_at))}")
    return reply


def _user_id(args: str, ctx: Context) -> tuple[int, str | None] | None:
    if ctx.reply_to_user is not None:
        return ctx.reply_to_user
    token = args.strip().split()[0] if args.strip() else ""
    user_id = ascii_int(token, 1, 2**53)  # "١٢٣" and "１２３" are digits to Python, not user ids
    return (user_id, None) if user_id is not None else None


@super_admin_only
async def grant(ctx: Context, args: str) -> Reply:
    target = _user_id(args, ctx)
    if target is None:
        return Reply().add(ctx.t("grant_usage"))
    added = await changes(ctx).grant(ctx.user_id, ctx.user_name, target[0], target[1])
    reply = Reply().add(ctx.t("granted" if added else "already_admin", user=target[0]))
    reply.role_changed = target[0] if added else None
    return reply


@super_admin_only
async def revoke(ctx: Context, args: str) -> Reply:
    target = _user_id(args, ctx)
    if target is None:
        return Reply().add(ctx.t("revoke_usage"))
    removed = await changes(ctx).revoke(ctx.user_id, ctx.user_name, target[0])
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
    token = await changes(ctx).propose(ctx.user_id, kind, payload)
    reply = Reply().add(bold(ctx.t("preview_title", what=title)))
    reply.add(italic(ctx.t("preview_hint")))
    reply.blank()
    reply.lines.extend(card.lines)
    reply.image = card.image
    reply.confirm = Confirmation(token)
    return reply


@admin_only
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
    payload = {"place_slug": place.slug, "platform": link.platform, "url": link.url, "name": name}
    current = await ctx.registry.store.channels_of(ctx.registry.scope(ctx.registry.places.unit_of(place)))
    new = Channel(id=0, place_slug=place.slug, platform=payload["platform"], name=name, url=payload["url"],
                  status="active", notice_id=None, verified_on=today())
    return await _preview(ctx, place, [*current, new], ctx.t("what_add", url=payload["url"]), "add_channel", payload)


async def _registered(ctx: Context, text: str) -> Channel | Reply:
    """The registered channel at this URL, or a Reply saying why there is none."""
    link = _link(ctx, text)
    if isinstance(link, Reply):
        return link
    channel = await ctx.registry.store.channel_by_url(link.url)
    return channel if channel is not None else Reply().add(ctx.t("not_registered", url=link.url))


@admin_only
async def editchannel(ctx: Context, args: str) -> Reply:
    """/editchannel <url> name <new name> | url <new url> | unit <unit>"""
    parts = args.split(maxsplit=2)
    if len(parts) < 3 or parts[1].lower() not in ("name", "url", "unit", "ten", "tên", "don_vi", "donvi"):
        return Reply().add(ctx.t("editchannel_usage"))
    channel = await _registered(ctx, parts[0])
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
    edited = replace(channel, **fields)
    place = ctx.registry.places.places[edited.place_slug]
    current = await ctx.registry.store.channels_of(ctx.registry.scope(ctx.registry.places.unit_of(place)))
    shown = [edited if c.id == channel.id else c for c in current]
    if all(c.id != channel.id for c in shown) and channel.status == "active":
        shown.append(edited)
    payload = {"channel_id": channel.id, "fields": fields}
    return await _preview(ctx, place, shown, ctx.t("what_edit", url=channel.url), "edit_channel", payload)


@admin_only
async def retirechannel(ctx: Context, args: str) -> Reply:
    """/retirechannel <url> [superseded-by url]"""
    parts = args.split()
    if not 1 <= len(parts) <= 2:
        return Reply().add(ctx.t("retire_usage"))
    channel = await _registered(ctx, parts[0])
    if isinstance(channel, Reply):
        return channel
    if channel.status != "active":
        return Reply().add(ctx.t("already_retired", url=channel.url))
    payload: dict[str, object] = {"channel_id": channel.id}
    place = ctx.registry.places.places[channel.place_slug]
    current = await ctx.registry.store.channels_of(ctx.registry.scope(ctx.registry.places.unit_of(place)))
    shown = [c for c in current if c.id != channel.id]
    if len(parts) == 2:
        link = _link(ctx, parts[1])
        if isinstance(link, Reply):
            return link
        if link.url == channel.url:
            return Reply().add(ctx.t("retire_usage"))
        payload.update(successor_url=link.url, successor_platform=link.platform)
        successor = await ctx.registry.store.channel_by_url(link.url)
        if successor is None:
            shown.append(replace(channel, id=0, url=link.url, platform=link.platform))
        elif changes(ctx).successor_problem(channel, successor):
            owner = ctx.registry.places.unit_of(ctx.registry.places.places[successor.place_slug])
            return Reply().add(ctx.t("successor_refused", url=successor.url, name=owner.full_name,
                                     status=ctx.t(f"status_{successor.status}")))
    return await _preview(ctx, place, shown, ctx.t("what_retire", url=channel.url), "retire_channel", payload)


# --- confirm / cancel ---------------------------------------------------------------------------------------
async def confirm(ctx: Context, token: str) -> Reply:
    if not await changes(ctx).is_admin(ctx.user_id, ctx.super_admins):
        return Reply().add(bold(ctx.t("not_admin")))
    return await _after(ctx, await changes(ctx).confirm(token.strip(), ctx.user_id, ctx.user_name))


async def cancel_change(ctx: Context, token: str) -> Reply:
    if not await changes(ctx).is_admin(ctx.user_id, ctx.super_admins):
        return Reply().add(bold(ctx.t("not_admin")))
    return await _after(ctx, await changes(ctx).cancel(token.strip(), ctx.user_id))


async def _after(ctx: Context, result: Result) -> Reply:
    reply = Reply().add(bold(ctx.t(f"outcome_{result.outcome}", detail=result.detail)))
    reply.settled = result.outcome in (Outcome.APPLIED, Outcome.CANCELLED, Outcome.ALREADY, Outcome.CONFLICT,
                                       Outcome.EXPIRED)
    if result.outcome == Outcome.APPLIED and result.place_slug:
        view = await ctx.registry.unit_view(ctx.registry.places.places[result.place_slug])
        reply.extend(channels_reply(ctx, view))
    return reply


# --- notices: a guided conversation ------------------------------------------------------------------------
NOTICE_STEPS = ("unit", "issuer", "number", "date", "subject", "summary", "signer", "link", "channels")


@admin_only
async def addnotice(ctx: Context, args: str) -> Reply:
    """Start the guided /addnotice; each answer comes as a plain message; /cancel stops it."""
    ctx.session["addnotice"] = {"step": 0, "data": {}}
    reply = Reply().add(bold(ctx.t("addnotice_intro")))
    return reply.add(ctx.t("ask_" + NOTICE_STEPS[0]))


async def cancel(ctx: Context, args: str) -> Reply:
    """/cancel: leave the guided conversation (if any); a pending change is cancelled with its button."""
    guided, pasted = ctx.session.pop("addnotice", None), ctx.session.pop("ingest", None)
    if guided is None and pasted is None:
        return Reply().add(ctx.t("nothing_to_cancel"))
    return Reply().add(ctx.t("conversation_cancelled"))


async def continue_conversation(ctx: Context, text: str) -> Reply:
    state = ctx.session["addnotice"]
    if not await changes(ctx).is_admin(ctx.user_id, ctx.super_admins):
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
        m = re.fullmatch(r"(?:([0-9]{1,2})[/.-])?(?:([0-9]{1,2})[/.-])?([0-9]{4})", answer)
        if not m:
            return ctx.t("bad_date")
        first, second, year = m.groups()
        day, month = (first, second) if second else (None, first)
        try:  # a real date: 31/02/2026 and 13/2026 are refused
            data["year"], data["month"], data["day"] = check_date(
                int(year), int(month) if month else None, int(day) if day else None)
        except Invalid:
            return ctx.t("bad_date")
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


async def _notice_preview(ctx: Context, data: dict) -> Reply:
    payload = {**data, "key": "n-" + secrets.token_hex(6), "recipients": []}
    token = await changes(ctx).propose(ctx.user_id, "add_notice", payload)
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
@admin_only
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
    reply.add(italic(ctx.t("page", page=page, pages=pages)))
    if not entries:
        reply.add(ctx.t("history_empty"))
    for e in entries:
        reply.blank()
        who = f"{e.actor_name or ''} ({e.actor_id})".strip()
        action = ctx.t(f"action_{e.action}") if has(f"action_{e.action}") else e.action
        reply.add(bold(f"#{e.id} {e.at.replace('T', ' ')[:16]} UTC — {action}"), f" — {who}")
        for line in _diff(ctx, e.before or {}, e.after or {}):
            reply.add(line)
    nav = []
    if page > 1:
        nav.append(Choice(ctx.t("prev"), "history", f"{unit.slug} {page - 1}"))
    if page < pages:
        nav.append(Choice(ctx.t("next"), "history", f"{unit.slug} {page + 1}"))
    reply.choices = nav
    return reply


def _diff(ctx: Context, before: dict, after: dict) -> list[str]:
    """One line per changed row: "url: field before → after"."""
    lines = []
    old = {c["id"]: c for c in before.get("channels", [])}
    for c in after.get("channels", []):
        prev = old.pop(c["id"], None)
        if prev is None:
            lines.append(f"+ {c['url']} ({c['name']}, {c['status']})")
            continue
        for key in ("name", "url", "status", "place_slug", "notice_id"):
            if prev.get(key) != c.get(key):
                lines.append(f"~ {prev['url']}: {ctx.t('field_' + key)} {prev.get(key)} → {c.get(key)}")
    for c in old.values():
        lines.append(f"− {c['url']}")
    before_notices = {n["id"] for n in before.get("notices", [])}
    for n in after.get("notices", []):
        if n["id"] not in before_notices:
            lines.append(f"+ {n['issuer']}: {n['subject'][:80]}")
    return lines


@admin_only
async def undo(ctx: Context, args: str) -> Reply:
    result = await changes(ctx).undo(ctx.user_id, ctx.user_name)
    reply = Reply().add(bold(ctx.t(f"undo_{result.outcome}", detail=result.detail)))
    if result.outcome == Outcome.APPLIED and result.place_slug:
        view = await ctx.registry.unit_view(ctx.registry.places.places[result.place_slug])
        reply.extend(channels_reply(ctx, view))
    return reply


# --- export / import ---------------------------------------------------------------------------------------
@admin_only
async def export(ctx: Context, args: str) -> Reply:
    data = await export_registry(ctx.registry.store)
    reply = Reply().add(ctx.t("exported", channels=len(data["channels"]), notices=len(data["notices"])))
    reply.document = ("registry.json", json.dumps(data, ensure_ascii=False, indent=1).encode())
    reply.extra_documents = [("channels.csv", channels_csv(data))]
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
        reply.confirm = Confirmation(await changes(ctx).propose(ctx.user_id, "import", plan.payload))
    else:
        reply.add(ctx.t("import_nothing"))
    return reply


@admin_only
async def import_command(ctx: Context, args: str) -> Reply:
    """/import: in chat, send the JSON file as a document with /import as its caption."""
    return Reply().add(ctx.t("import_usage"))
