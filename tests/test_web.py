"""The public directory over HTTP: every route's status, type and headers; escaping; languages; 304s; posters."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.people import Person
from bot.services import Registry
from bot.web.server import build_app
from tests.conftest import decode_qr

PUBLIC = "https://kenh.example.gov.vn"
CAN_THO = ["https://www.facebook.com/congthongtincantho", "https://zalo.me/3460461954401350861"]


@pytest.fixture
async def client(registry: Registry) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build_app(registry, PUBLIC))) as c:
        yield c


async def _sql(registry: Registry, statement: str, *params: object) -> None:
    async with registry.store.transaction():
        await registry.store._conn.execute(statement, params)
    registry.changed("can_tho")


def _security(headers: object) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp and "script-src 'self';" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert headers["Referrer-Policy"]  # type: ignore[index]


async def test_index_lists_the_34_units(client: TestClient) -> None:
    r = await client.get("/")
    assert r.status == 200 and r.content_type == "text/html" and r.charset == "utf-8"
    _security(r.headers)
    body = await r.text()
    assert body.count('href="/don-vi/') == 34
    assert '<html lang="vi">' in body and "Cần Thơ" in body
    assert body.count("<script") == 1 and '<script src="/static/search.js" defer></script>' in body  # no inline
    assert r.headers["ETag"] and r.headers["Last-Modified"]


async def test_search_for_a_former_province_redirects_to_its_unit_and_says_why(client: TestClient) -> None:
    r = await client.get("/", params={"q": "ben tre"}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/don-vi/vinh_long/?from=old_ben_tre"
    r = await client.get("/", params={"q": "ben tre"})
    body = await r.text()
    assert "Bến Tre (cũ) đã hợp nhất vào Vĩnh Long" in body
    assert "https://www.facebook.com/cttdtbentre" in body


async def test_search_ambiguous_lists_candidates_and_nothing_suggests(client: TestClient) -> None:
    body = await (await client.get("/", params={"q": "long"})).text()
    assert "có thể là nhiều nơi" in body and "/don-vi/vinh_long/" in body
    assert "/don-vi/tay_ninh/?from=old_long_an" in body
    body = await (await client.get("/", params={"q": "xyzzy qwerty"})).text()
    assert "Không tìm thấy" in body


async def test_query_length_is_capped(client: TestClient) -> None:
    r = await client.get("/", params={"q": "a" * 201})
    assert r.status == 400
    _security(r.headers)
    r = await client.get("/verify", params={"url": "https://x.vn/" + "a" * 2048})
    assert r.status == 400


async def test_unit_page_shows_channels_qr_source_and_tags(client: TestClient) -> None:
    r = await client.get("/don-vi/can_tho/")
    assert r.status == 200
    _security(r.headers)
    body = await r.text()
    for url in CAN_THO:
        assert f">{url}</a>" in body
    assert 'property="og:title"' in body and 'name="twitter:card"' in body and 'property="og:image"' in body
    assert "Văn phòng UBND thành phố Cần Thơ, số …/VPUB-TTĐH, 11/2025" in body
    assert "Cập nhật: 11/2025" in body and "/don-vi/can_tho/poster.pdf" in body
    assert 'alt="Mã QR của Facebook' in body
    qrs = sorted(set(body.split('src="/qr/')[i].split('"')[0] for i in range(1, body.count('src="/qr/') + 1)))
    decoded = []
    for name in qrs:
        img = await client.get(f"/qr/{name}")
        assert img.status == 200 and img.content_type == "image/png"
        assert "immutable" in img.headers["Cache-Control"] and img.headers["ETag"]
        decoded += decode_qr(await img.read())
    assert sorted(decoded) == CAN_THO
    # the snippet: absolute URLs under BOT_PUBLIC_URL, as code (escaped) and as a preview
    assert f"&lt;img src=&#34;{PUBLIC}/qr/" in body.replace("&quot;", "&#34;")
    assert f'<img src="{PUBLIC}/qr/' in body
    og = body.split('property="og:image" content="')[1].split('"')[0]
    assert og.startswith(PUBLIC + "/card/")
    card = await client.get(og.removeprefix(PUBLIC))
    assert card.status == 200 and card.content_type == "image/png"
    assert sorted(decode_qr(await card.read())) == CAN_THO


async def test_superseded_channels_are_shown_with_their_successor(registry: Registry, client: TestClient) -> None:
    old, new = await registry.store.channels_of(["can_tho"])
    await _sql(registry, "UPDATE channels SET status='superseded', superseded_by=? WHERE id=?", new.id, old.id)
    body = await (await client.get("/don-vi/can_tho/")).text()
    assert "Kênh không còn sử dụng" in body and f"<s>{old.url}</s> — đã được thay thế" in body
    assert f"Thay bằng: {new.url}" in body
    data = await (await client.get("/api/units/can_tho.json")).json()
    assert data["superseded_channels"][0]["superseded_by"] == new.url


async def test_every_string_is_escaped(registry: Registry, client: TestClient) -> None:
    channel = (await registry.store.channels_of(["can_tho"]))[0]
    await _sql(registry, "UPDATE channels SET name=? WHERE id=?", "<script>alert(1)</script>", channel.id)
    body = await (await client.get("/don-vi/can_tho/")).text()
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    data = await (await client.get("/api/units/can_tho.json")).json()
    assert "<script>alert(1)</script>" in [c["name"] for c in data["channels"]]


async def test_english_by_query_or_accept_language(client: TestClient) -> None:
    body = await (await client.get("/don-vi/can_tho/", params={"lang": "en"})).text()
    assert '<html lang="en">' in body and "Official channels — " in body and "As of: 11/2025" in body
    body = await (await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})).text()
    assert '<html lang="en">' in body
    body = await (await client.get("/", headers={"Accept-Language": "vi,en;q=0.8"})).text()
    assert '<html lang="vi">' in body
    r = await client.get("/", params={"q": "ben tre", "lang": "en"}, allow_redirects=False)
    assert r.headers["Location"] == "/en/don-vi/vinh_long/?from=old_ben_tre"
    r = await client.get("/en/", params={"q": "ben tre"}, allow_redirects=False)
    assert r.headers["Location"] == "/en/don-vi/vinh_long/?from=old_ben_tre"
    body = await (await client.get("/en/don-vi/vinh_long/", params={"from": "old_ben_tre"})).text()
    assert "Former Bến Tre merged into Vĩnh Long" in body and 'href="/en/"' in body
    assert 'href="/don-vi/vinh_long/" lang="vi"' in body  # the language switch
    body = await (await client.get("/en/verify", params={"url": CAN_THO[0]})).text()
    assert "OFFICIAL — City of Cần Thơ" in body or "OFFICIAL —" in body


async def test_conditional_requests_get_304(client: TestClient) -> None:
    for path in ("/", "/don-vi/can_tho/", "/api/units.json", "/static/site.css"):
        r = await client.get(path)
        etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status == 304 and again.headers["ETag"] == etag and await again.read() == b""
        again = await client.get(path, headers={"If-Modified-Since": modified})
        assert again.status == 304
        changed = await client.get(path, headers={"If-None-Match": '"something-else"'})
        assert changed.status == 200


async def test_a_changed_page_is_never_304_to_its_old_date(registry: Registry, client: TestClient) -> None:
    for path in ("/don-vi/can_tho/", "/api/units/can_tho.json", "/", "/api/units.json"):
        await client.get(path)
    before = {path: (await client.get(path)).headers for path in ("/don-vi/can_tho/", "/api/units/can_tho.json")}
    channel = (await registry.store.channels_of(["can_tho"]))[0]
    await _sql(registry, "UPDATE channels SET name=? WHERE id=?", "Trang mới", channel.id)
    for path, headers in before.items():
        r = await client.get(path, headers={"If-Modified-Since": headers["Last-Modified"]})
        assert r.status == 200 and "Trang mới" in await r.text(), path
        r = await client.get(path, headers={"If-None-Match": headers["ETag"]})
        assert r.status == 200, path


async def test_gzip_when_asked(client: TestClient) -> None:
    r = await client.get("/don-vi/can_tho/", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    assert "Cần Thơ" in gzip.decompress(await r.read()).decode()


async def test_pages_come_from_memory_after_the_first_view(registry: Registry, client: TestClient) -> None:
    await client.get("/don-vi/can_tho/")
    calls = 0
    original = registry.store._channels

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    registry.store._channels = counting  # type: ignore[method-assign]
    for _ in range(5):
        assert (await client.get("/don-vi/can_tho/")).status == 200
    assert calls == 0


async def test_verify_gives_the_chat_verdict(client: TestClient) -> None:
    body = await (await client.get("/verify", params={"url": CAN_THO[1]})).text()
    assert "CHÍNH THỨC — Thành phố Cần Thơ" in body
    body = await (await client.get("/verify", params={"url": "https://www.facebook.com/cttdtbentre-fake"})).text()
    assert "CHÍNH THỨC —" not in body
    body = await (await client.get("/verify", params={"url": "<script>x</script>", "lang": "en"})).text()
    assert "<script>x" not in body and '<html lang="en">' in body
    r = await client.get("/verify")
    assert r.status == 200 and r.content_type == "text/html"


async def test_open_data(client: TestClient) -> None:
    r = await client.get("/api/units.json")
    assert r.status == 200 and r.content_type == "application/json" and r.headers["Access-Control-Allow-Origin"] == "*"
    units = (await r.json())["units"]
    assert len(units) == 34 and {"slug", "name", "former_provinces", "channels", "page"} <= set(units[0])
    r = await client.get("/api/units/can_tho.json")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(await r.text())
    assert sorted(c["url"] for c in data["channels"]) == CAN_THO
    assert data["channels"][0]["notice"]["issuer"] == "Văn phòng UBND thành phố Cần Thơ"
    assert data["former_provinces"] == ["Hậu Giang", "Sóc Trăng"]


@pytest.mark.parametrize("path", ["/nope/", "/don-vi/atlantis/", "/api/units/atlantis.json", "/qr/" + "0" * 32 + ".png",
                                  "/qr/../../etc/passwd", "/static/../bot/config.py", "/don-vi/..%2f..%2fetc/",
                                  "/%2e%2e/pyproject.toml", "/don-vi/can_tho/../../pyproject.toml",
                                  "/card/" + "0" * 64 + ".png", "/templates/base.html"])
async def test_unknown_and_traversal_paths_are_404(client: TestClient, path: str) -> None:
    r = await client.get(path, allow_redirects=False)
    assert r.status == 404, path
    _security(r.headers)
    assert "pyproject" not in await r.text()


async def test_short_urls_redirect_only_to_our_own_pages(client: TestClient) -> None:
    r = await client.get("/can_tho", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/don-vi/can_tho/"
    r = await client.get("/old_ben_tre", allow_redirects=False)
    assert r.headers["Location"] == "/don-vi/vinh_long/?from=old_ben_tre"
    r = await client.get("/", params={"q": "//evil.example"}, allow_redirects=False)
    assert r.status == 200
    body = await (await client.get("/don-vi/can_tho/", params={"from": "https://evil.example"})).text()
    assert "evil" not in body


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install Debian's poppler-utils (.ci/run does: apt-get install poppler-utils)")
    return found


def read_pdf(content: bytes, folder: Path) -> tuple[list[bytes], str]:
    """A PDF's pages rasterised at 150 dpi (pdftoppm), and its text layer (pdftotext)."""
    pdf = folder / "poster.pdf"
    pdf.write_bytes(content)
    subprocess.run([_need("pdftoppm"), "-r", "150", "-png", str(pdf), str(folder / "page")], check=True)
    pages = [p.read_bytes() for p in sorted(folder.glob("page*.png"))]
    text = subprocess.run([_need("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return pages, text


async def test_poster_pdf_scans_and_reads(client: TestClient, tmp_path: Path) -> None:
    r = await client.get("/don-vi/can_tho/poster.pdf")
    assert r.status == 200 and r.content_type == "application/pdf"
    content = await r.read()
    assert (await client.get("/don-vi/can_tho/poster.pdf")).headers["ETag"] == r.headers["ETag"]
    pages, text = read_pdf(content, tmp_path)
    assert len(pages) == 1
    assert decode_qr(pages[0]) == CAN_THO
    assert "THÀNH PHỐ CẦN THƠ" in text and "Theo dõi, thích, chia sẻ" in text
    assert "https://zalo.me/3460461954401350861" in text and "11/2025" in text


async def test_poster_in_chat_is_a_document(registry: Registry) -> None:
    from handlers import COMMANDS
    from handlers.context import Context

    reply = await COMMANDS["poster"](Context(registry, "vi", Person.telegram(1), public_url=PUBLIC), "bến tre")
    [(name, content)] = reply.files
    assert name == "vinh_long-poster.pdf" and content.startswith(b"%PDF")
    assert any(f"{PUBLIC}/don-vi/vinh_long/poster.pdf" in s.text for line in reply.lines for s in line)
    reply = await COMMANDS["poster"](Context(registry, "vi", Person.telegram(1)), "")
    assert reply.files == []


async def test_card_in_chat_links_to_its_page_when_public_url_is_set(registry: Registry) -> None:
    from handlers import COMMANDS
    from handlers.context import Context

    reply = await COMMANDS["channels"](Context(registry, "vi", Person.telegram(1), public_url=PUBLIC), "cần thơ")
    assert reply.buttons[-1].url == f"{PUBLIC}/don-vi/can_tho/"
    reply = await COMMANDS["channels"](Context(registry, "vi", Person.telegram(1)), "cần thơ")
    assert all("/don-vi/" not in b.url for b in reply.buttons)


async def test_settings_from_env() -> None:
    from bot.config import Settings

    s = Settings.from_env({"BOT_HTTP_PORT": "9090", "BOT_PUBLIC_URL": "https://x.vn/", "BOT_HTTP_LISTEN": "127.0.0.1"})
    assert (s.http_port, s.public_url, s.http_listen) == (9090, "https://x.vn", "127.0.0.1")
    d = Settings.from_env({"BOT_WEBHOOK_PORT": "9999"})  # gone: BOT_HTTP_PORT serves the webhooks too
    assert (d.http_port, d.http_listen, d.public_url) == (8443, "0.0.0.0", "")
    assert replace(d, http_port=0).http_port == 0
