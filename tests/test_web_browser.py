"""The public directory in a real browser: Debian's Chromium, headless, driven by Playwright, against the server
started here on 127.0.0.1. No browser is downloaded: /usr/bin/chromium must be installed (.ci/run does it), and
without it these tests FAIL, saying so, rather than skip."""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.config import ROOT
from bot.services import Registry
from bot.web.server import WebServer
from tests.conftest import decode_qr

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
CAN_THO = ["https://www.facebook.com/congthongtincantho", "https://zalo.me/3460461954401350861"]


@pytest.fixture
async def server(registry: Registry) -> AsyncIterator[WebServer]:
    web = WebServer(registry, "127.0.0.1", 0)
    web.site.public_url = ""
    await web.start()
    web.site.public_url = web.url.rstrip("/")  # the snippet's absolute URLs point at this server
    yield web
    await web.stop()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if shutil.which(str(CHROMIUM)) is None:
        pytest.fail("/usr/bin/chromium is missing: install Debian's chromium package "
                    "(apt-get install chromium; .ci/run does it) to run the browser tests")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield b
        await b.close()


async def _page(browser: object, width: int, errors: list[str], locale: str = "vi-VN") -> object:
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale=locale)  # type: ignore[attr-defined]
    page = await context.new_page()
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    return page


async def test_index_search_and_unit_pages(server: WebServer, browser: object) -> None:
    errors: list[str] = []
    page = await _page(browser, 1280, errors)
    await page.goto(server.url)  # type: ignore[attr-defined]
    assert await page.locator("ul.units li").count() == 34  # type: ignore[attr-defined]
    assert await page.get_attribute("html", "lang") == "vi"  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "index-1280.png"), full_page=True)  # type: ignore[attr-defined]

    await page.fill("#q", "ben tre")  # type: ignore[attr-defined]
    await page.keyboard.press("Enter")  # type: ignore[attr-defined]
    await page.wait_for_url("**/don-vi/vinh_long/**")  # type: ignore[attr-defined]
    assert await page.locator("h1").inner_text() == "Kênh thông tin chính thức — Tỉnh Vĩnh Long"  # type: ignore[attr-defined]
    assert await page.get_by_text("Bến Tre (cũ) đã hợp nhất vào Vĩnh Long").is_visible()  # type: ignore[attr-defined]
    link = page.get_by_role("link", name="https://www.facebook.com/cttdtbentre", exact=True)  # type: ignore[attr-defined]
    assert await link.is_visible()

    await page.goto(server.url + "don-vi/can_tho/")  # type: ignore[attr-defined]
    for url in CAN_THO:
        assert await page.get_by_role("link", name=url, exact=True).is_visible()  # type: ignore[attr-defined]
    images = page.locator("li.channel img.qr")  # type: ignore[attr-defined]
    assert await images.count() == 2
    decoded = []
    for i in range(2):
        img = images.nth(i)
        assert await img.evaluate("i => i.complete && i.naturalWidth > 0")
        assert (await img.get_attribute("alt")).startswith("Mã QR của ")
        decoded += decode_qr(await img.screenshot())
    assert sorted(decoded) == CAN_THO
    await page.screenshot(path=str(SCREENSHOTS / "can_tho-1280.png"), full_page=True)  # type: ignore[attr-defined]
    assert errors == []


async def test_small_screens_and_the_keyboard(server: WebServer, browser: object) -> None:
    errors: list[str] = []
    for width in (375, 320):
        page = await _page(browser, width, errors)
        await page.goto(server.url + "don-vi/can_tho/")  # type: ignore[attr-defined]
        overflow = await page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"horizontal scroll at {width} px"
        png = await page.screenshot(path=str(SCREENSHOTS / f"can_tho-{width}.png"), full_page=True)  # type: ignore[attr-defined]
        assert Image.open(io.BytesIO(png)).width == width
        qr = page.locator("li.channel img.qr").first  # type: ignore[attr-defined]
        assert CAN_THO[0] in decode_qr(await qr.screenshot())
    # keyboard alone: Tab reaches the skip link, then the site's links, with a visible focus ring
    page = await _page(browser, 375, errors)
    await page.goto(server.url)  # type: ignore[attr-defined]
    await page.keyboard.press("Tab")  # type: ignore[attr-defined]
    focused = await page.evaluate("document.activeElement.className")  # type: ignore[attr-defined]
    assert focused == "skip"
    await page.keyboard.press("Tab")  # type: ignore[attr-defined]
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")  # type: ignore[attr-defined]
    assert outline == "solid"
    levels = await page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('h1,h2,h3')].map(h => +h.tagName[1])")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert errors == []
