"""/ingest: an admin hands the bot an official notice (pasted over one or more messages until /done, or a file);
the bot answers with the preview — the unit's card as it will look, each field it read, what is missing, the
links it refused — which `/set <field> <value>` corrects, and Confirm / Cancel settles like every change."""

from __future__ import annotations

import re

from bot.i18n import has
from bot.ingest import Draft, UnreadableFile, read_file, read_notice
from bot.ingest.apply import blocking, conflicts, payload, preview_channels
from bot.ingest.draft import ManagingUnitDraft, PlaceRef
from bot.links import PLATFORM_LABELS
from bot.places import Status
from bot.replies import Reply, bold, italic
from bot.validate import Invalid, check_date, clean_text, optional_text
from handlers.admin import _preview, changes
from handlers.commands import command
from handlers.context import Context
from handlers.public import channels_reply

MAX_PASTE = 100_000  # characters: a long notice is a few thousand
SESSION = "ingest"
SETTABLE = ("unit", "number", "date", "place", "subject", "issuer", "signer", "title", "summary", "recipients",
            "managing_unit")


@command("ingest", menu=140, admin=True, private=True)
async def ingest(ctx: Context, args: str) -> Reply:
    """/ingest: the next messages are the notice, until /done."""
    ctx.session.pop("addnotice", None)
    ctx.session[SESSION] = {"parts": [args] if args.strip() else []}
    return Reply().add(bold(ctx.t("ingest_intro")))


def collecting(ctx: Context) -> bool:
    return "parts" in ctx.session.get(SESSION, {})


async def continue_paste(ctx: Context, text: str) -> Reply:
    """A message while a notice is being pasted: one more part of it."""
    if not await changes(ctx).is_admin(ctx.user, ctx.super_admins):
        ctx.session.pop(SESSION, None)
        return Reply().add(bold(ctx.t("not_admin")))
    parts: list[str] = ctx.session[SESSION]["parts"]
    if sum(map(len, parts)) + len(text) > MAX_PASTE:
        return Reply().add(ctx.t("ingest_too_long", detail=MAX_PASTE))
    parts.append(text)
    return Reply().add(ctx.t("ingest_received", n=len(parts), chars=len(text)))


@command("done", admin=True)  # ends a pasted notice
async def done(ctx: Context, args: str) -> Reply:
    """/done: read what was pasted since /ingest."""
    state = ctx.session.get(SESSION, {})
    text = "\n".join(state.get("parts") or [])
    if not text.strip():
        return Reply().add(ctx.t("ingest_nothing"))
    return await _show(ctx, read_notice(text, ctx.registry.places))


async def ingest_file(ctx: Context, name: str, content: bytes) -> Reply:
    """A notice sent as a file (caption /ingest): read it and answer with the preview."""
    if not await changes(ctx).is_admin(ctx.user, ctx.super_admins):
        return Reply().add(bold(ctx.t("not_admin")))
    try:
        draft = read_file(name, content, ctx.registry.places)
    except UnreadableFile as exc:
        return Reply().add(ctx.t(f"ingest_{exc.code}", detail=exc.detail))
    return await _show(ctx, draft)


@command("set", admin=True)  # corrects the notice's draft before its Confirm
async def set_field(ctx: Context, args: str) -> Reply:
    """/set <field> <value>: correct the draft read by /ingest, then a fresh preview."""
    state = ctx.session.get(SESSION, {})
    field, _, value = args.strip().partition(" ")
    field = field.lower().replace("-", "_")
    if "draft" not in state or field not in SETTABLE or not value.strip():
        return Reply().add(ctx.t("ingest_set_usage")).add(ctx.t("ingest_set_hint"))
    draft = Draft.from_state(state["draft"])
    problem = _set(ctx, draft, field, value.strip())
    if problem:
        return Reply().add(ctx.t("ingest_set_bad", field=field, reason=problem))
    if state.get("token"):  # the earlier preview is void: only the corrected one can be confirmed
        await changes(ctx).cancel(state["token"], ctx.user)
    draft.recompute_missing()
    return await _show(ctx, draft)


def _set(ctx: Context, draft: Draft, field: str, value: str) -> str | None:
    """Apply one correction to the draft; the reason it is refused, or None."""
    try:
        if field == "unit":
            found = ctx.registry.resolve(value)
            if found.status is not Status.FOUND or found.place is None:
                return ctx.t("unit_unknown", query=value[:60])
            place = found.place
            unit = ctx.registry.places.unit_of(place)
            draft.unit = PlaceRef(unit.slug, unit.full_name)
            draft.former_province = PlaceRef(place.slug, place.full_name) if place.is_former and (
                ctx.registry.places.merged_members(unit)) else None
        elif field == "number":
            draft.number = clean_text(value, "number_suffix")
        elif field == "date":
            m = re.fullmatch(r"(?:([0-9]{1,2})[/.-])?(?:([0-9]{1,2})[/.-])?([0-9]{4})", value)
            if not m:
                return ctx.t("bad_date")
            first, second, year = m.groups()
            day, month = (first, second) if second else (None, first)
            draft.year, draft.month, draft.day = check_date(int(year), int(month) if month else None,
                                                            int(day) if day else None)
        elif field == "place":
            draft.place = clean_text(value, "location")
        elif field in ("subject", "issuer"):
            setattr(draft, field, clean_text(value, field))
        elif field == "signer":
            name, _, title = value.partition(",")
            draft.signer_name = clean_text(name, "signer")
            if title.strip():
                draft.signer_title = clean_text(title, "signer_title")
        elif field == "title":
            draft.signer_title = clean_text(value, "signer_title")
        elif field == "summary":
            draft.summary = optional_text(value, "summary")
        elif field == "recipients":
            draft.recipients = [clean_text(r, "recipient") for r in value.split(";") if r.strip()]
        elif field == "managing_unit":
            old = draft.managing_unit
            draft.managing_unit = ManagingUnitDraft(clean_text(value, "unit_name"), old.address if old else None,
                                                    old.phone if old else None, old.emails if old else [])
    except Invalid as exc:
        return ctx.t(f"invalid_{exc.code}", detail=exc.detail) if has(f"invalid_{exc.code}") else exc.code
    return None


async def _show(ctx: Context, draft: Draft) -> Reply:
    """The preview: the card as it will look (when the unit is known), every field, what is missing, the refused
    links; Confirm / Cancel only when the draft can be stored."""
    ctx.session[SESSION] = {"draft": draft.to_state()}
    registry = ctx.registry
    taken = await conflicts(draft, registry)
    blockers = blocking(draft)
    reply = Reply()
    if draft.place_slug is not None:
        place = registry.places.places[draft.place_slug]
        shown = await preview_channels(draft, registry)
        if not taken and not blockers:
            reply = await _preview(ctx, place, shown, ctx.t("ingest_title"), "ingest", payload(draft, registry))
            assert reply.confirm is not None
            ctx.session[SESSION]["token"] = reply.confirm.token
        else:
            view = await registry.compose_view(registry.places.unit_of(place), shown)
            card = channels_reply(ctx, view)
            reply.add(bold(ctx.t("preview_title", what=ctx.t("ingest_title"))))
            reply.blank()
            reply.lines.extend(card.lines)
            reply.image = card.image
    else:
        reply.add(bold(ctx.t("preview_title", what=ctx.t("ingest_title"))))
    reply.blank()
    reply.add(italic(ctx.t("ingest_read_as")))
    for line in describe(ctx, draft):
        reply.add(line)
    for url, owner in taken:
        reply.add(bold(ctx.t("ingest_conflict", url=url, name=owner)))
    if blockers:
        reply.add(bold(ctx.t("ingest_blocked", fields=", ".join(blockers))))
    reply.add(italic(ctx.t("ingest_set_hint")))
    return reply


def describe(ctx: Context, draft: Draft) -> list[str]:
    """Each field with its value; "⚠️ … (none)" where the notice gives none."""

    def field(key: str, value: object) -> str:
        label = ctx.t(f"ingest_label_{key}")
        if value in (None, "", []):
            return ctx.t("ingest_field_missing", label=label)
        return ctx.t("ingest_field", label=label, value=value)

    day = f"{draft.day:02d}" if draft.day else "…"
    month = f"{draft.month:02d}" if draft.month else "…"
    date = f"{day}/{month}/{draft.year}" if draft.year else None
    lines = [
        field("unit", draft.unit and f"{draft.unit.name} ({draft.unit.slug})"),
    ]
    if draft.former_province:
        lines.append(field("former", f"{draft.former_province.name} ({draft.former_province.slug})"))
    number_note = f" {ctx.t('unknown_number')}" if draft.number and draft.number_parts()[0] is None else ""
    lines += [
        field("issuer", draft.issuer), field("number", draft.number and draft.number + number_note),
        field("place", draft.place), field("date", date), field("subject", draft.subject),
        field("recipients", "; ".join(draft.recipients)), field("signer", draft.signer_name),
        field("title", draft.signer_title),
    ]
    m = draft.managing_unit
    lines.append(field("managing_unit", m and "; ".join(x for x in (m.name, m.address, m.phone, ", ".join(m.emails))
                                                       if x)))
    if draft.summary:
        lines.append(field("summary", draft.summary))
    lines.append(field("channels", len(draft.channels) or None))
    for c in draft.channels:
        lines.append(ctx.t("ingest_channel", platform=PLATFORM_LABELS.get(c.platform, c.platform),
                           status=ctx.t(f"ingest_status_{c.status}"), name=c.name or "⚠️ —", url=c.url,
                           written=c.as_written))
        if c.live_from:
            lines.append("  " + ctx.t("live_from", date="/".join(reversed(c.live_from.split("-")))))
        if c.superseded_by:
            lines.append(ctx.t("ingest_replaced_by", url=c.superseded_by))
    for r in draft.refused_links:
        reason = ctx.t(f"link_{r.reason}", detail=r.detail) if has(f"link_{r.reason}") else r.reason
        lines.append(ctx.t("ingest_refused", text=r.text, reason=reason))
    for url in draft.contacts:
        lines.append(ctx.t("ingest_contact", url=url))
    if draft.missing:
        lines.append(ctx.t("ingest_missing", fields=", ".join(draft.missing)))
    return lines


__all__ = ["collecting", "continue_paste", "done", "ingest", "ingest_file", "set_field"]
