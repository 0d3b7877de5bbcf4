"""The public directory over HTTP (aiohttp.web): routes, security headers, gzip, conditional requests.

Every answer is a `Payload` from bot/web/site.py, so a page costs a dictionary lookup once it has been rendered:
the server only picks the encoding and answers 304 when the client already has it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import Settings
from bot.i18n import EN, t
from bot.services import Registry
from bot.web.export import ExportWatcher
from bot.web.site import MAX_QUERY, MAX_URL, Payload, Site, lang_from

log = logging.getLogger(__name__)

SITE_KEY: web.AppKey[Site] = web.AppKey("site", Site)
HEADERS_KEY: web.AppKey[tuple[tuple[str, str], ...]] = web.AppKey("headers", tuple)
SLUG = r"[a-z0-9_]{1,64}"
CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:{extra}; style-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _lang(request: web.Request) -> str:
    if request.path == "/en" or request.path.startswith("/en/"):
        return EN
    return lang_from(request.query.get("lang"), request.headers.get("Accept-Language"))


def answer(request: web.Request, payload: Payload) -> web.Response:
    """200 with the body (gzipped when the client takes it), or 304 when its validators still hold."""
    gz = payload.gz is not None and "gzip" in request.headers.get("Accept-Encoding", "").lower()
    headers = payload.gz_headers if gz else payload.plain_headers
    if ("If-None-Match" in request.headers or "If-Modified-Since" in request.headers) and _not_modified(request,
                                                                                                        payload):
        return web.Response(status=304, headers=headers)
    return web.Response(body=payload.gz if gz else payload.body, headers=headers)


def _not_modified(request: web.Request, payload: Payload) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        base = payload.etag.strip('"')
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in inm.split(",")}
        return "*" in tags or base in tags or base + "-gz" in tags
    ims = request.headers.get("If-Modified-Since")
    if ims:
        try:
            return parsedate_to_datetime(ims).timestamp() >= int(payload.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _redirect(location: str) -> web.Response:
    # Every target is built from a slug of ours, never from what the client sent: no open redirect.
    assert location.startswith("/") and not location.startswith("//")
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


async def english_home(request: web.Request) -> web.Response:
    return _redirect("/en/")


def _html_error(request: web.Request, status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


async def index(request: web.Request) -> web.StreamResponse:
    site, lang = request.app[SITE_KEY], _lang(request)
    q = request.query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        return _too_long(request, site, lang, MAX_QUERY)
    found = await site.index(lang, q)
    if isinstance(found, str):
        return _redirect(found)
    return answer(request, found)


def _too_long(request: web.Request, site: Site, lang: str, limit: int) -> web.Response:
    body = site._render("error.html", lang, message=t("web_too_long", lang, max=limit), path="")
    return _html_error(request, 400, body)


async def unit_page(request: web.Request) -> web.StreamResponse:
    site, lang = request.app[SITE_KEY], _lang(request)
    unit = site.unit(request.match_info["slug"])
    if unit is None:
        raise web.HTTPNotFound()
    return answer(request, await site.unit_html(unit, lang, request.query.get("from", "")))


async def unit_slash(request: web.Request) -> web.StreamResponse:
    """/don-vi/<slug> and /<slug> (a unit, or a former province: its unit's page, saying why) → the page."""
    site = request.app[SITE_KEY]
    place = site.registry.places.places.get(request.match_info["slug"])
    if place is None:
        raise web.HTTPNotFound()
    unit = site.registry.places.unit_of(place)
    query = f"?from={place.slug}" if place.slug != unit.slug else ""
    prefix = "/en" if request.path.startswith("/en/") or request.query.get("lang") == EN else ""
    return _redirect(f"{prefix}/don-vi/{unit.slug}/{query}")


async def poster(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    unit = site.unit(request.match_info["slug"])
    if unit is None:
        raise web.HTTPNotFound()
    return answer(request, await site.poster(unit))


async def verify(request: web.Request) -> web.StreamResponse:
    site, lang = request.app[SITE_KEY], _lang(request)
    url = request.query.get("url", "").strip()
    if len(url) > MAX_URL:
        return _too_long(request, site, lang, MAX_URL)
    return answer(request, await site.verify_html(url, lang))


async def qr(request: web.Request) -> web.StreamResponse:
    found = request.app[SITE_KEY].qr_png(request.match_info["key"])
    if found is None:
        raise web.HTTPNotFound()
    return answer(request, found)


async def card(request: web.Request) -> web.StreamResponse:
    found = await request.app[SITE_KEY].card_png(request.match_info["key"])
    if found is None:
        raise web.HTTPNotFound()
    return answer(request, found)


async def units_json(request: web.Request) -> web.StreamResponse:
    return answer(request, await request.app[SITE_KEY].units_json())


async def unit_json(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    unit = site.unit(request.match_info["slug"])
    if unit is None:
        raise web.HTTPNotFound()
    return answer(request, await site.unit_json(unit))


async def css(request: web.Request) -> web.StreamResponse:
    return answer(request, request.app[SITE_KEY].css)


async def script(request: web.Request) -> web.StreamResponse:
    return answer(request, request.app[SITE_KEY].script)


async def search_index(request: web.Request) -> web.StreamResponse:
    return answer(request, request.app[SITE_KEY].search_index)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _html_error(request, 404, request.app[SITE_KEY].not_found(_lang(request)))
    except web.HTTPMethodNotAllowed as exc:
        response = web.Response(status=405, text="405: Method Not Allowed",
                                headers={"Allow": ",".join(exc.allowed_methods)})
    response.headers.extend(request.app[HEADERS_KEY])
    return response


def build_app(registry: Registry, public_url: str = "") -> web.Application:
    app = web.Application(middlewares=[headers_middleware])
    app[SITE_KEY] = site = Site.shared(registry, public_url)
    extra = f" {site.public_url}" if site.public_url else ""  # the snippet's preview shows images from there
    app[HEADERS_KEY] = (("Content-Security-Policy", CSP.format(extra=extra)), *SECURITY_HEADERS.items())
    r = app.router
    for prefix in ("", "/en"):  # /en/…: the same pages in English (what a static export can serve)
        r.add_get(f"{prefix}/", index)
        r.add_get(f"{prefix}/verify", verify)
        r.add_get(rf"{prefix}/don-vi/{{slug:{SLUG}}}/", unit_page)
        r.add_get(rf"{prefix}/don-vi/{{slug:{SLUG}}}", unit_slash)
    r.add_get("/en", english_home)
    r.add_get("/static/site.css", css)
    r.add_get("/static/search.js", script)
    r.add_get("/static/search-index.json", search_index)
    r.add_get(r"/qr/{key:[0-9a-f]{32}}.png", qr)
    r.add_get(r"/card/{key:[0-9a-f]{64}}.png", card)
    r.add_get("/api/units.json", units_json)
    r.add_get(rf"/api/units/{{slug:{SLUG}}}.json", unit_json)
    r.add_get(rf"/don-vi/{{slug:{SLUG}}}/poster.pdf", poster)
    r.add_get(rf"/{{slug:{SLUG}}}", unit_slash)
    return app


class WebServer:
    """The directory on its own port, beside the bot (or alone: `python -m bot web`)."""

    def __init__(self, registry: Registry, host: str, port: int, public_url: str = "") -> None:
        self.app = build_app(registry, public_url)
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self.watcher: ExportWatcher | None = None

    @property
    def site(self) -> Site:
        return self.app[SITE_KEY]

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        tcp = web.TCPSite(self._runner, self.host, self.port)
        await tcp.start()
        server = tcp._server
        if self.port == 0 and server is not None and server.sockets:  # type: ignore[attr-defined]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"http://{host}:{self.port}/"

    async def stop(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
            self.watcher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def start_web(settings: Settings, registry: Registry,
                    add_routes: Callable[[web.UrlDispatcher], None] | None = None) -> WebServer | None:
    """Start the one web server beside the bot: the directory, card images, and what `add_routes` adds (the
    webhooks, /healthz). A port already taken is logged, and the bot runs on without it."""
    server = WebServer(registry, settings.http_listen, settings.http_port, settings.public_url)
    if add_routes is not None:
        add_routes(server.app.router)
    try:
        url = await server.start()
    except OSError as exc:
        log.error("public directory not started on %s:%s: %s", settings.http_listen, settings.http_port, exc)
        await server.stop()
        return None
    log.info("public directory on %s", settings.public_url or url)
    if settings.export_dir is not None:  # re-exported as static files whenever a confirmed change lands
        server.watcher = ExportWatcher(server.site, settings.export_dir)
        server.watcher.start()
    return server


__all__ = ["WebServer", "build_app", "start_web"]
