"""/report (anyone): a wrong, fake or missing channel, queued for the admins; /reports (admins): the queue."""

from __future__ import annotations

from bot.extract import links_in
from bot.links import LinkError, parse_link
from bot.places import Status
from bot.replies import Reply, bold
from bot.services import format_date
from bot.validate import Invalid, ascii_int, clean_text
from handlers.commands import command
from handlers.context import Context


@command("report", menu=40)
async def report(ctx: Context, args: str) -> Reply:
    """/report <link or province> <what is wrong>: stored for the admins, who are told; the reporter is thanked."""
    subject, rest = _subject(ctx, args)
    if subject is None or not rest.strip():
        return Reply().add(ctx.t("report_usage"))
    try:
        text = clean_text(rest, "report", allow_urls=True)
    except Invalid as exc:
        return Reply().add(ctx.t(f"invalid_{exc.code}", detail=exc.detail))
    report_id = await ctx.registry.store.add_report(ctx.user, ctx.user_name, subject, text)
    reply = Reply().add(ctx.t("report_thanks", id=report_id))
    who = f"{ctx.user_name or ''} ({ctx.user})".strip()
    admins = set(ctx.super_admins) | {person for person, *_ in await ctx.registry.store.admins()}
    for admin_id in sorted(admins - {ctx.user}):
        note = Reply().add(ctx.t("report_new", id=report_id, who=who, subject=subject, text=text[:300]))
        reply.notify.append((admin_id, note.add(ctx.t("reports_usage"))))
    return reply


def _subject(ctx: Context, args: str) -> tuple[str | None, str]:
    """What the report is about — a link (canonical when we can) or a unit — and the rest of the text."""
    words = args.split()
    if not words:
        return None, ""
    found = links_in(words[0])
    if found:
        try:
            return parse_link(found[0].url).url, " ".join(words[1:])
        except LinkError:
            return found[0].url[:300], " ".join(words[1:])
    for size in range(min(len(words) - 1, 5), 0, -1):  # the longest run of words that names one place
        place = ctx.registry.resolve(" ".join(words[:size]))
        if place.status is Status.FOUND and place.place:
            return place.place.full_name, " ".join(words[size:])
    return None, ""


@command("reports", menu=220, admin=True)
async def reports(ctx: Context, args: str) -> Reply:
    """/reports: the open reports, oldest first; /reports done <number>: mark one resolved."""
    words = args.split()
    if words and words[0].lower() in ("done", "xong", "resolve"):
        report_id = ascii_int(words[1], 1, 10**12) if len(words) > 1 else None
        if report_id is None:
            return Reply().add(ctx.t("reports_usage"))
        resolved = await ctx.registry.store.resolve_report(report_id, ctx.user)
        return Reply().add(ctx.t("report_resolved" if resolved else "report_unknown", id=report_id))
    total, rows = await ctx.registry.store.open_reports()
    reply = Reply().add(bold(ctx.t("reports_title", count=total)))
    if not rows:
        return reply.add(ctx.t("reports_empty"))
    for report_id, at, reporter, name, subject, text in rows:
        reply.blank().add(bold(f"#{report_id}"), f" {format_date(at[:10])} — {name or ''} ({reporter})")
        reply.add(f"{subject}: {text}")
    return reply.blank().add(ctx.t("reports_usage"))

