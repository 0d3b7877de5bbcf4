"""The public directory's content: pages, QR images, JSON and posters, rendered from the registry's in-memory views.

Nothing here knows about HTTP: a `Payload` is a body with its content type and validators (ETag, Last-Modified,
a gzipped copy). The server (bot/web/server.py) and the static export answer with the same bytes. A page is
rendered once per view: the registry drops a unit's view on every write, and a page whose view is no longer the
registry's current one is rendered again; no page view queries the database once its unit has been read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gzip
import hashlib
import io
import json
import time
import weakref
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bot.cards import qr_image
from bot.extract import FoundLink
from bot.i18n import EN, VI, t
from bot.links import PLATFORM_LABELS
from bot.models import Channel, Notice
from bot.people import WEB_VISITOR
from bot.places import Place, Resolution, Status
from bot.replies import Line
from bot.services import Registry, UnitView, format_date, notice_date, notice_number

HERE = Path(__file__).resolve().parent
MAX_QUERY = 200  # characters of a search; longer is refused (400)
MAX_URL = 2048  # characters of a link to verify
LANGS = (VI, EN)
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = ("text/", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class Payload:
    body: bytes
    content_type: str
    last_modified: float = field(default_factory=time.time)
    cache: str = "public, max-age=300"
    etag: str = ""
    gz: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def make(body: bytes, content_type: str, *, cache: str = "public, max-age=300",
             headers: tuple[tuple[str, str], ...] = (), last_modified: float | None = None) -> Payload:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        gz = None
        if content_type.startswith(COMPRESSIBLE) and len(body) > 512:
            gz = gzip.compress(body, compresslevel=6, mtime=0)
        return Payload(body, content_type, last_modified or float(int(time.time())), cache, etag, gz, headers)

    @property
    def http_date(self) -> str:
        return formatdate(self.last_modified, usegmt=True)

    def _headers(self, gz: bool) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "ETag": self.etag[:-1] + '-gz"' if gz else self.etag,
                   "Last-Modified": self.http_date, "Cache-Control": self.cache,
                   "Vary": "Accept-Encoding, Accept-Language", **dict(self.headers)}
        if gz:
            headers["Content-Encoding"] = "gzip"
        return headers

    # Computed once per payload, not once per request (a frozen dataclass: cached_property writes __dict__).
    @functools.cached_property
    def plain_headers(self) -> dict[str, str]:
        return self._headers(False)

    @functools.cached_property
    def gz_headers(self) -> dict[str, str]:
        return self._headers(True)


_SITES: weakref.WeakKeyDictionary[Registry, Site] = weakref.WeakKeyDictionary()


def qr_key(url: str) -> str:
    """A QR image's name: the hash of what it encodes, so its URL never changes while its content does not."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def lang_from(query_lang: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then the browser's preference between Vietnamese and English; Vietnamese by default."""
    if query_lang in LANGS:
        return query_lang
    best, best_q = VI, -1.0
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower()[:2]
        if base not in LANGS:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q - i * 1e-6 > best_q:
            best, best_q = base, q - i * 1e-6
    return best


@dataclass
class ChannelRow:
    """One channel as a page shows it."""

    platform: str
    name: str
    url: str
    status: str
    qr: str  # the QR image's path
    place_note: str
    since: str | None
    verified_on: str
    notice: Notice | None
    successor: Channel | None = None


@dataclass
class UnitPage:
    view: UnitView
    rows: list[ChannelRow]
    old_rows: list[ChannelRow]
    notices: dict[int, Notice]


class Site:
    """Everything the directory shows, rendered on demand and kept until the registry's view changes."""

    def __init__(self, registry: Registry, public_url: str = "") -> None:
        self.registry = registry
        self.public_url = public_url.rstrip("/")
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.globals.update(format_date=format_date, notice_number=notice_number, notice_date=notice_date,
                                spans_html=spans_html)
        self.started = float(int(time.time()))
        self._pages: dict[tuple[Any, ...], tuple[Any, Payload]] = {}
        self._units: dict[str, tuple[UnitView, UnitPage]] = {}
        self._qr_urls: dict[str, str] = {}
        self._qr: dict[str, Payload] = {}
        self.css = Payload.make((HERE / "static" / "site.css").read_bytes(), "text/css; charset=utf-8",
                                cache="public, max-age=86400", last_modified=self.started)
        self.renders = 0  # pages rendered (tests: a second view of a page renders nothing)

    @classmethod
    def shared(cls, registry: Registry, public_url: str = "") -> Site:
        """One Site per registry (the server's and /poster's), so that both share what they rendered."""
        found = _SITES.get(registry)
        if found is None or found.public_url != public_url.rstrip("/"):
            found = _SITES[registry] = cls(registry, public_url)
        return found

    # --- data ---------------------------------------------------------------------------------------------
    def unit(self, slug: str) -> Place | None:
        place = self.registry.places.places.get(slug)
        return place if place is not None and not place.is_former else None

    async def unit_page(self, unit: Place) -> UnitPage:
        view = await self.registry.unit_view(unit)
        cached = self._units.get(unit.slug)
        if cached is not None and cached[0] is view:
            return cached[1]
        store = self.registry.store
        old = await store.channels_of(self.registry.scope(unit), ("superseded",))
        ids = {c.notice_id for c in [*(v.channel for v in view.channels), *old] if c.notice_id}
        notices = {n.id: n for n in await store.notices_by_ids(ids)} if ids else {}
        successors = {c.id: await store.channel_by_id(c.superseded_by) for c in old if c.superseded_by}
        places = self.registry.places.places

        def row(c: Channel) -> ChannelRow:
            place = places[c.place_slug]
            note = place.name if place.slug != unit.slug and place.name != unit.name else ""
            self._qr_urls[qr_key(c.url)] = c.url
            label = PLATFORM_LABELS.get(c.platform, c.platform)
            return ChannelRow(label, c.name, c.url, c.status, f"/qr/{qr_key(c.url)}.png", note, c.since,
                              c.verified_on, notices.get(c.notice_id or 0), successors.get(c.id))

        page = UnitPage(view, [row(v.channel) for v in view.channels], [row(c) for c in old], notices)
        self._units[unit.slug] = (view, page)
        return page

    # --- pages --------------------------------------------------------------------------------------------
    def _render(self, template: str, lang: str, **values: Any) -> bytes:
        self.renders += 1

        def tr(key: str, **kwargs: object) -> str:
            return t(key, lang, **kwargs)

        prefix = "/en" if lang == EN else ""
        return self.env.get_template(template).render(t=tr, lang=lang, prefix=prefix, **values).encode()

    def _keep(self, key: tuple[Any, ...], deps: Any, payload: Payload) -> Payload:
        """Remember a rendered payload until `deps` (the views it shows) change. A new version is always dated
        after the one it replaces, even within the same second: If-Modified-Since never hides a change."""
        old = self._pages.get(key)
        if old is not None and old[1].etag != payload.etag and payload.last_modified <= old[1].last_modified:
            payload = dataclasses.replace(payload, last_modified=old[1].last_modified + 1)
        self._pages[key] = (deps, payload)
        return payload

    def _html(self, body: bytes, stamp: float | None = None) -> Payload:
        # Last-Modified is when this content was rendered: a page that changed never answers 304 to an older date.
        return Payload.make(body, "text/html; charset=utf-8", last_modified=stamp or float(int(time.time())))

    async def index(self, lang: str, q: str = "") -> Payload | str:
        """The 34 units; with a query, what the resolver makes of it. A str is a redirect target (a unit's page)."""
        units = self.registry.places.units()
        views = tuple([await self.registry.unit_view(u) for u in units])
        found: Resolution | None = None
        if q:
            found = self.registry.resolve(q)
            if found.status is Status.FOUND and found.place is not None:
                target = self.registry.places.unit_of(found.place)
                query = f"?from={found.place.slug}" if found.place.slug != target.slug or found.corrected else ""
                return f"{'/en' if lang == EN else ''}/don-vi/{target.slug}/{query}"
        key = ("index", lang)
        cached = self._pages.get(key)
        if not q and cached is not None and len(cached[0]) == len(views) and all(
                a is b for a, b in zip(cached[0], views, strict=True)):
            return cached[1]
        rows = [(u, len(v.channels)) for u, v in zip(units, views, strict=True)]
        results = None
        if found is not None:
            results = self._results(found, q, lang)
        body = self._render("index.html", lang, units=rows, q=q, results=results, path="/")
        payload = self._html(body)
        if not q:
            payload = self._keep(key, views, payload)
        return payload

    def _results(self, found: Resolution, q: str, lang: str) -> dict[str, Any]:
        shown = q if len(q) <= 60 else q[:57] + "…"

        def item(p: Place) -> tuple[str, str]:
            return self.place_label(p, lang), self.place_href(p)

        if found.status is Status.CHOICES:
            return {"message": t("choose", lang, query=shown), "items": [item(p) for p in found.choices]}
        lines = [t("not_found", lang, query=shown)]
        if found.suggestions:
            lines.append(t("suggest", lang, names=", ".join(item(p)[0] for p in found.suggestions)))
        return {"message": " ".join(lines), "items": [item(p) for p in found.suggestions]}

    def place_label(self, p: Place, lang: str) -> str:
        places = self.registry.places
        return p.name if not places.is_renamed(p) else f"{p.name}{t('former_suffix', lang)} → {places.unit_of(p).name}"

    def place_href(self, p: Place) -> str:
        """A place's page, without the language prefix: its unit's, saying where the reader came from."""
        unit = self.registry.places.unit_of(p)
        return f"/don-vi/{unit.slug}/" + ("" if p.slug == unit.slug else f"?from={p.slug}")

    async def unit_html(self, unit: Place, lang: str, came_from: str = "") -> Payload:
        page = await self.unit_page(unit)
        note = self.merger_note(unit, came_from, lang)
        key = ("unit", unit.slug, lang)
        cached = self._pages.get(key)
        if not note and cached is not None and cached[0] is page.view:
            return cached[1]
        view = page.view
        platforms = ", ".join(dict.fromkeys(r.platform for r in page.rows)) or t("web_count_none", lang)
        base = self.public_url
        snippet = self.env.get_template("snippet.html").render(
            unit=unit, rows=page.rows, base=base, page_url=f"{base}/don-vi/{unit.slug}/",
            t=lambda k, **kw: t(k, lang, **kw), lang=lang).strip()
        card = f"/card/{view.page_keys[0]}.png" if view.channels else ""
        body = self._render("unit.html", lang, unit=unit, view=view, page=page, note=note,
                            description=t("web_description", lang, name=unit.full_name, platforms=platforms),
                            snippet_code=snippet, snippet=Markup(snippet), card=card, base=base,
                            path=f"/don-vi/{unit.slug}/")
        payload = self._html(body)
        if not note:
            payload = self._keep(key, view, payload)
        return payload

    def merger_note(self, unit: Place, came_from: str, lang: str) -> str:
        """Why a search for a former province or a misspelling landed here ("Bến Tre (cũ) merged into…")."""
        places = self.registry.places
        place = places.places.get(came_from[:64]) if came_from else None
        if place is None or places.unit_of(place).slug != unit.slug:
            return ""
        if places.is_renamed(place):
            merged_on = place.merged_on.strftime("%d/%m/%Y") if place.merged_on else "—"
            return t("merged", lang, old=place.name, new=unit.name, date=merged_on)
        return t("understood", lang, name=place.name) if place.slug == unit.slug else ""

    async def verify_html(self, url: str, lang: str) -> Payload:
        """The verdict on a link, worded exactly as /verify words it in chat."""
        lines: list[Line] = []
        if url:
            from handlers.context import Context
            from handlers.public import verify_links

            reply = await verify_links(Context(self.registry, lang, WEB_VISITOR), [FoundLink(url)])
            lines = reply.lines
        body = self._render("verify.html", lang, url=url, lines=lines, path="/verify")
        return self._html(body)

    def not_found(self, lang: str) -> bytes:
        return self._render("404.html", lang, path="")

    # --- images -------------------------------------------------------------------------------------------
    def qr_keys(self) -> list[str]:
        return list(self._qr_urls)

    @functools.cached_property
    def script(self) -> Payload:
        from bot.web.export import script

        return script(self)

    @functools.cached_property
    def search_index(self) -> Payload:
        from bot.web.export import search_index

        return search_index(self)

    def qr_png(self, key: str) -> Payload | None:
        found = self._qr.get(key)
        if found is None:
            url = self._qr_urls.get(key)
            if url is None:
                return None
            buf = io.BytesIO()
            qr_image(url).save(buf, format="PNG", optimize=True)
            found = self._qr[key] = Payload.make(buf.getvalue(), "image/png", cache=IMMUTABLE,
                                                 last_modified=self.started)
        return found

    async def card_png(self, key: str) -> Payload | None:
        """A card image by its content hash, among every unit's current cards (what the chat front-ends send,
        Zalo by this URL): a changed card has a new hash, an old hash is gone."""
        for unit in self.registry.places.units():
            view = await self.registry.unit_view(unit)
            if key in view.page_keys:
                spec = view.pages[view.page_keys.index(key)]
                png = await self.registry.cards.render(spec, key)
                return Payload.make(png, "image/png", cache=IMMUTABLE, last_modified=self.started)
        return None

    async def known_qr(self) -> None:
        """Read every unit once, so that every registered channel's QR has a name (export, cold caches)."""
        for unit in self.registry.places.units():
            await self.unit_page(unit)

    # --- open data ----------------------------------------------------------------------------------------
    def _json(self, data: Any) -> Payload:
        body = (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        return Payload.make(body, "application/json; charset=utf-8", headers=(("Access-Control-Allow-Origin", "*"),))

    async def units_json(self) -> Payload:
        views = tuple([await self.registry.unit_view(u) for u in self.registry.places.units()])
        cached = self._pages.get(("units.json",))
        if cached is not None and all(a is b for a, b in zip(cached[0], views, strict=True)):
            return cached[1]
        payload = await self._units_json()
        return self._keep(("units.json",), views, payload)

    async def _units_json(self) -> Payload:
        units = []
        for unit in self.registry.places.units():
            view = await self.registry.unit_view(unit)
            units.append({"slug": unit.slug, "name": unit.name, "full_name": unit.full_name,
                          "former_provinces": [p.name for p in view.merged], "channels": len(view.channels),
                          "as_of": view.as_of, "page": f"{self.public_url}/don-vi/{unit.slug}/",
                          "json": f"{self.public_url}/api/units/{unit.slug}.json"})
        return self._json({"units": units})

    async def unit_json(self, unit: Place) -> Payload:
        page = await self.unit_page(unit)
        cached = self._pages.get(("json", unit.slug))
        if cached is not None and cached[0] is page.view:
            return cached[1]
        payload = self._unit_json(unit, page)
        return self._keep(("json", unit.slug), page.view, payload)

    def _unit_json(self, unit: Place, page: UnitPage) -> Payload:

        def notice(n: Notice | None) -> dict[str, Any] | None:
            if n is None:
                return None
            return {"issuer": n.issuer, "number": notice_number(n), "date": notice_date(n), "year": n.year,
                    "month": n.month, "day": n.day, "subject": n.subject, "url": n.url}

        def channel(r: ChannelRow) -> dict[str, Any]:
            return {"platform": r.platform, "name": r.name, "url": r.url, "status": r.status, "since": r.since,
                    "as_of": r.verified_on, "former_province": r.place_note or None, "notice": notice(r.notice),
                    "superseded_by": r.successor.url if r.successor else None,
                    "qr": f"{self.public_url}{r.qr}"}

        return self._json({"slug": unit.slug, "name": unit.name, "full_name": unit.full_name,
                           "former_provinces": [p.name for p in page.view.merged], "as_of": page.view.as_of,
                           "channels": [channel(r) for r in page.rows],
                           "superseded_channels": [channel(r) for r in page.old_rows]})

    # --- posters ------------------------------------------------------------------------------------------
    async def poster(self, unit: Place) -> Payload:
        page = await self.unit_page(unit)
        key = ("poster", unit.slug)
        cached = self._pages.get(key)
        if cached is not None and cached[0] is page.view:
            return cached[1]
        from bot.web.poster import render_poster

        body = await asyncio.to_thread(render_poster, unit, page, self.public_url)
        payload = Payload.make(body, "application/pdf",
                               headers=(("Content-Disposition", f'inline; filename="{unit.slug}-poster.pdf"'),))
        return self._keep(key, page.view, payload)


def spans_html(line: Line) -> Markup:
    """A reply's line as HTML: escaped text, bold and code kept, nothing made a link."""
    tags = {"bold": ("<strong>", "</strong>"), "italic": ("<em>", "</em>"), "code": ("<code>", "</code>"),
            "plain": ("", "")}
    return Markup("").join(Markup(tags[s.style][0]) + escape(s.text) + Markup(tags[s.style][1]) for s in line)

