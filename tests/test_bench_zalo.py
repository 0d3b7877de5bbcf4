"""bench/zalo.py runs: its measurements complete with tiny sizes and count something. Speed is never asserted."""

from __future__ import annotations

from pathlib import Path

from bench.zalo import bare_server, bot_replies, cache_headers, card_urls, floor_replies, load, rig, warm_up


async def test_the_reply_measurements_complete(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await warm_up(r)
        assert r.photo_url.startswith(r.app.settings.public_url + "/zalo/image/") and r.text
        for measure in (bot_replies, floor_replies):
            rate = await measure(r, 5)
            assert rate.count == 5 and rate.per_second > 0
        server = await card_urls(r)
        for path in (f"/card/{server.card_key}.png", f"/zalo/image/{server.zalo_key}.png"):
            per_second, requests, _ = await load(server.base + path, 0.3, clients=4)
            assert requests > 0 and per_second > 0
        assert len(await cache_headers(server)) == 3


async def test_the_bare_card_server_serves_the_same_bytes(tmp_path: Path) -> None:
    async with rig(tmp_path / "app") as r:
        await warm_up(r)
        app = await card_urls(r)
        (tmp_path / "bare").mkdir()
        async with bare_server(tmp_path / "bare") as bare:
            assert bare.card_key == app.card_key
            *_, ours = await load(f"{app.base}/card/{app.card_key}.png", 0.1, clients=2)
            per_second, requests, theirs = await load(f"{bare.base}/card/{bare.card_key}.png", 0.3, clients=4)
            assert requests > 0 and per_second > 0 and theirs == ours
