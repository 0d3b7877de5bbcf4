"""`python -m bot web --export DIR`: the whole directory as static files, byte for byte what the server answers.

Every page in both languages (`/…` Vietnamese, `/en/…` English), every QR image and card, every poster, the JSON,
the style sheet, and a search index that /static/search.js uses when no server answers `/?q=`. Any static web
server, object store or CDN can then serve a citizen-facing spike instead of the bot. `BOT_EXPORT_DIR` re-runs it
after every confirmed change (`ExportWatcher`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

from bot.i18n import EN, VI, t
from bot.periodic import Periodic
from bot.places import Status
from bot.text import compact, fold
from bot.web.site import HERE, Payload, Site

log = logging.getLogger(__name__)


def search_index(site: Site) -> Payload:
    """Every name, former name and alias the resolver knows, folded as search.js folds a query → where it goes."""
    places = site.registry.places
    keys: dict[str, dict[str, object]] = {}
    texts = [*(p.name for p in places.places.values()), *(p.full_name for p in places.places.values()),
             *places.aliases, *places.ambiguous]
    for place in places.places.values():  # single words ("long": the places it may be) and initials ("hcm")
        words = fold(place.name).split()
        texts += [*words, "".join(w[0] for w in words)]
    for text in sorted(set(texts)):
        key = compact(text)
        if not key or key in keys:
            continue
        found = places.resolve(text)
        if found.status is Status.FOUND and found.place is not None:
            unit = places.unit_of(found.place)
            keys[key] = {"u": unit.slug, "f": found.place.slug if found.place.slug != unit.slug else ""}
        elif found.status is Status.CHOICES:
            keys[key] = {"c": [[site.place_label(p, VI), site.place_href(p)] for p in found.choices]}
    notes = {}
    for place in places.places.values():
        if places.is_renamed(place):
            unit = places.unit_of(place)
            notes[place.slug] = {"unit": unit.slug, VI: site.merger_note(unit, place.slug, VI),
                                 EN: site.merger_note(unit, place.slug, EN)}
    data = {"keys": keys, "notes": notes, "choose": {lang: t("choose", lang, query="{query}") for lang in (VI, EN)},
            "not_found": {lang: t("not_found", lang, query="{query}") + " " + t("try_list", lang) for lang in (VI, EN)}}
    body = (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()
    return Payload.make(body, "application/json; charset=utf-8", last_modified=site.started)


def script(site: Site) -> Payload:
    return Payload.make((HERE / "static" / "search.js").read_bytes(), "text/javascript; charset=utf-8",
                        cache="public, max-age=86400", last_modified=site.started)


async def pages(site: Site) -> dict[str, Payload]:
    """Every path the export writes (as the server names it) → what the server answers there."""
    await site.known_qr()
    out: dict[str, Payload] = {"/static/site.css": site.css, "/static/search.js": site.script,
                               "/static/search-index.json": site.search_index,
                               "/api/units.json": await site.units_json()}
    for lang, prefix in ((VI, ""), (EN, "/en")):
        found = await site.index(lang)
        assert isinstance(found, Payload)
        out[f"{prefix}/"] = found
    for unit in site.registry.places.units():
        slug = unit.slug
        for lang, prefix in ((VI, ""), (EN, "/en")):
            out[f"{prefix}/don-vi/{slug}/"] = await site.unit_html(unit, lang)
        out[f"/don-vi/{slug}/poster.pdf"] = await site.poster(unit)
        out[f"/api/units/{slug}.json"] = await site.unit_json(unit)
        view = (await site.unit_page(unit)).view
        if view.channels:
            card = await site.card_png(view.page_keys[0])
            assert card is not None
            out[f"/card/{view.page_keys[0]}.png"] = card
    for key in sorted(site.qr_keys()):
        found_qr = site.qr_png(key)
        assert found_qr is not None
        out[f"/qr/{key}.png"] = found_qr
    return out


def file_for(path: str) -> str:
    """A server path's file in the export: a path ending in "/" is its folder's index.html."""
    relative = path.lstrip("/")
    return relative + "index.html" if relative.endswith("/") or not relative else relative


async def export(site: Site, target: Path) -> int:
    """Write the directory under `target`; each file replaced atomically. Returns how many files were written."""
    written = 0
    for path, payload in (await pages(site)).items():
        file = target / file_for(path)
        await asyncio.to_thread(_write, file, payload.body)
        written += 1
    return written


def _write(file: Path, body: bytes) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists() and file.read_bytes() == body:
        return
    temp = file.with_name(f".{file.name}.tmp")
    temp.write_bytes(body)
    os.replace(temp, file)


class ExportWatcher(Periodic):
    """Re-exports when a unit's view changes (the registry drops views on every confirmed write)."""

    name = "static export"

    def __init__(self, site: Site, target: Path, interval: float = 5.0) -> None:
        super().__init__(interval)
        self.site, self.target = site, target
        self._seen: tuple[object, ...] = ()
        self.exports = 0

    def start(self) -> None:
        self.start_task()

    async def tick(self) -> None:
        await self.check()

    def failed(self, exc: Exception) -> None:
        log.error("export to %s failed; trying again in %.0f s", self.target, self.interval, exc_info=exc)

    async def check(self) -> bool:
        registry = self.site.registry
        views = tuple([await registry.unit_view(u) for u in registry.places.units()])
        if len(views) == len(self._seen) and all(a is b for a, b in zip(views, self._seen, strict=True)):
            return False
        count = await export(self.site, self.target)
        self._seen = views
        self.exports += 1
        log.info("exported the public directory to %s (%d files)", self.target, count)
        return True
