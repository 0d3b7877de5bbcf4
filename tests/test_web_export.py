"""The static export: byte for byte what the live server answers, and the same browser checks when a plain static
file server (python -m http.server) serves it, search included (through the static index)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.services import Registry
from bot.web.export import ExportWatcher, export, file_for, pages
from bot.web.server import build_app
from bot.web.site import Site
from tests.conftest import decode_qr
from tests.test_web_browser import CAN_THO, SCREENSHOTS, _page, browser

__all__ = ["browser"]
PUBLIC = "https://kenh.example.gov.vn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def exported(registry: Registry, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    count = await export(Site.shared(registry, PUBLIC), target)
    assert count > 34 * 4
    return target


@pytest.fixture
async def static_server(registry: Registry, tmp_path: Path) -> AsyncIterator[str]:
    """The export, its absolute URLs (snippet, Open Graph) under the static server's own address."""
    port = _free_port()
    exported = tmp_path / "static"
    await export(Site.shared(registry, f"http://127.0.0.1:{port}"), exported)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(exported),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    await process.wait()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


async def test_export_is_byte_identical_to_the_server(registry: Registry, exported: Path) -> None:
    served = await pages(Site.shared(registry, PUBLIC))
    files = _files(exported)
    assert files == sorted(file_for(path) for path in served)
    assert {"index.html", "en/index.html", "don-vi/can_tho/index.html", "en/don-vi/can_tho/index.html",
            "don-vi/can_tho/poster.pdf", "api/units.json", "api/units/can_tho.json", "static/site.css",
            "static/search.js", "static/search-index.json"} <= set(files)
    async with TestClient(TestServer(build_app(registry, PUBLIC))) as client:
        for path in served:
            r = await client.get(path, headers={"Accept-Language": "vi"}, allow_redirects=False)
            assert r.status == 200, path
            assert await r.read() == (exported / file_for(path)).read_bytes(), path


async def test_export_passes_the_browser_checks(static_server: str, browser: object) -> None:
    errors: list[str] = []
    page = await _page(browser, 1280, errors)
    await page.goto(static_server)  # type: ignore[attr-defined]
    assert await page.locator("ul.units li").count() == 34  # type: ignore[attr-defined]
    await page.fill("#q", "ben tre")  # type: ignore[attr-defined]
    await page.keyboard.press("Enter")  # type: ignore[attr-defined]
    await page.wait_for_url("**/don-vi/vinh_long/**")  # type: ignore[attr-defined]
    link = page.get_by_role("link", name="https://www.facebook.com/cttdtbentre", exact=True)  # type: ignore[attr-defined]
    assert await link.is_visible()
    note = page.get_by_text("Bến Tre (cũ) đã hợp nhất vào Vĩnh Long")  # type: ignore[attr-defined]
    await note.wait_for()
    await page.goto(static_server + "don-vi/can_tho/")  # type: ignore[attr-defined]
    images = page.locator("li.channel img.qr")  # type: ignore[attr-defined]
    decoded = []
    for i in range(await images.count()):
        decoded += decode_qr(await images.nth(i).screenshot())
    assert sorted(decoded) == CAN_THO
    await page.goto(static_server + "?q=long")  # type: ignore[attr-defined]
    await page.get_by_role("link", name="Vĩnh Long", exact=True).wait_for()  # type: ignore[attr-defined]
    await page.goto(static_server + "en/")  # type: ignore[attr-defined]
    assert await page.get_attribute("html", "lang") == "en"  # type: ignore[attr-defined]
    await page.screenshot(path=str(SCREENSHOTS / "export-en-1280.png"), full_page=True)  # type: ignore[attr-defined]
    assert errors == []


async def test_export_is_rerun_after_a_change(registry: Registry, tmp_path: Path) -> None:
    target = tmp_path / "live"
    watcher = ExportWatcher(Site.shared(registry, PUBLIC), target)
    assert await watcher.check() is True
    assert await watcher.check() is False  # nothing changed: nothing written
    channel = (await registry.store.channels_of(["can_tho"]))[0]
    async with registry.store.transaction():
        await registry.store._conn.execute("UPDATE channels SET name=? WHERE id=?", ("Trang mới", channel.id))
    registry.changed("can_tho")
    assert await watcher.check() is True
    assert "Trang mới" in (target / "don-vi/can_tho/index.html").read_text()
