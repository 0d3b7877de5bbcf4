"""/poster <unit>: the unit's A4 poster (PDF, large QR codes) as a document; its web address too when known."""

from __future__ import annotations

from bot.places import Status
from bot.replies import Reply
from handlers.commands import command
from handlers.context import Context
from handlers.public import _not_one


@command("poster")
async def poster(ctx: Context, args: str) -> Reply:
    query = args.strip()
    if not query:
        return Reply().add(ctx.t("ask_province_poster"))
    found = ctx.registry.resolve(query)
    if found.status is not Status.FOUND or found.place is None:
        return _not_one(ctx, found, query, "poster")
    from bot.web.site import Site

    unit = ctx.registry.places.unit_of(found.place)
    payload = await Site.shared(ctx.registry, ctx.public_url).poster(unit)
    reply = Reply().add(ctx.t("poster_caption", name=unit.full_name))
    if ctx.public_url:
        reply.add(ctx.t("poster_link", url=f"{ctx.public_url}/don-vi/{unit.slug}/poster.pdf"))
    reply.files = [(f"{unit.slug}-poster.pdf", payload.body)]
    return reply
