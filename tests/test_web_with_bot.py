"""The directory runs with the bot: started in post_init, stopped in post_shutdown; cards link to their page,
/poster sends the PDF as a document; and `python -m bot web` alone prints the URL to open."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from bot.config import ROOT, Settings
from tests.fakebot.server import FakeBotApi
from tests.fakebot.updates import message
from tests.telegram_harness import free_port, running_bot
from tests.test_telegram import buttons, sent

PUBLIC = "https://kenh.example.gov.vn"


async def test_the_directory_starts_and_stops_with_the_bot(settings: Settings, api: FakeBotApi) -> None:
    async with running_bot(settings, api, public_url=PUBLIC) as bot:
        web = bot.root.web
        assert web is not None and web.port
        async with aiohttp.ClientSession() as session, session.get(web.url + "don-vi/can_tho/") as r:
            assert r.status == 200 and "Cần Thơ" in await r.text()
        calls = await bot.send(message("/channels cần thơ"))
        card = sent(calls, "sendPhoto")[0]
        assert {"text": "🌐 Trang của Cần Thơ", "url": f"{PUBLIC}/don-vi/can_tho/"} in buttons(card)
        calls = await bot.send(message("/poster cần thơ"))
        document = sent(calls, "sendDocument")
        assert document, [c.method for c in calls]
        url = web.url
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)):
                raise AssertionError("still serving after shutdown")
        except aiohttp.ClientConnectionError:
            pass


async def test_a_taken_port_does_not_stop_the_bot(settings: Settings, api: FakeBotApi) -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        async with running_bot(settings, api, http_listen="127.0.0.1", http_port=port) as bot:
            assert bot.root.web is None
            assert sent(await bot.send(message("/channels cần thơ")), "sendPhoto")
    finally:
        blocker.close()
        await blocker.wait_closed()


async def test_python_m_bot_web_prints_the_url_and_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "BOT_DB_PATH": str(tmp_path / "web.sqlite3"), "BOT_HTTP_LISTEN": "127.0.0.1",
           "BOT_HTTP_PORT": str(port), "TELEGRAM_BOT_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "web", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.strip() == f"Public directory: open http://127.0.0.1:{port}/"
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/units.json") as r:
            assert r.status == 200 and len((await r.json())["units"]) == 34
    finally:
        process.terminate()
        assert await process.wait() == 0


async def test_python_m_bot_web_export(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DB_PATH": str(tmp_path / "web.sqlite3"), "TELEGRAM_BOT_TOKEN": ""}
    target = str(tmp_path / "out")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "web", "--export", target, cwd=ROOT,
                                                   env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.DEVNULL)
    out, _ = await process.communicate()
    assert process.returncode == 0 and b"Exported" in out
    assert (tmp_path / "out" / "don-vi" / "can_tho" / "index.html").is_file()


async def test_the_console_names_the_page_when_public_url_is_set(settings: Settings) -> None:
    import io
    from dataclasses import replace

    from bot.frontends.console import run_console

    out = io.StringIO()
    await run_console(replace(settings, public_url=PUBLIC), io.StringIO("/channels cần thơ\n/poster cần thơ\n"), out)
    text = out.getvalue()
    assert f"🌐 Trang của Cần Thơ: {PUBLIC}/don-vi/can_tho/" in text
    assert "[file] " in text and "can_tho-poster.pdf" in text
