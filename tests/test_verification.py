"""The look-alike judgement itself: what counts as imitating a registered page, and what does not."""

from __future__ import annotations

import pytest

from bot.models import Channel
from bot.verification import _first_segment, _imitated, judge, page_key, resembles, squash
from tests.fakebot.updates import message
from tests.telegram_harness import Harness

FANPAGE = Channel(1, "can_tho", "facebook", "Cổng TTĐT", "https://www.facebook.com/congthongtincantho", "active",
                  None, "2025-11")
ZALO = Channel(2, "can_tho", "zalo", "Zalo", "https://zalo.me/3460461954401350861", "active", None, "2025-11")
YOUTUBE = Channel(3, "can_tho", "youtube", "YT", "https://www.youtube.com/@canthotv", "active", None, "2025-11")
REGISTERED = [FANPAGE, ZALO, YOUTUBE]


def test_page_keys_name_the_page() -> None:
    assert page_key(FANPAGE.url) == "congthongtincantho"
    assert page_key(ZALO.url) == "3460461954401350861"
    assert page_key(YOUTUBE.url) == "canthotv"
    assert page_key("https://www.facebook.com/profile.php?id=100064") == "100064"
    assert page_key("https://www.facebook.com/p/Cong-Thong-Tin-100064/") == "cong-thong-tin-100064"
    assert page_key("https://cantho.gov.vn") == ""


def test_squash_undoes_the_tricks() -> None:
    assert squash("C0ng-Th0ng_Tin.Can7h0") == "congthongtincantho"
    assert squash("13458") == "leasb"


@pytest.mark.parametrize(("key", "expected"), [
    ("congthongtincanth0", FANPAGE), ("congthongtin_cantho", FANPAGE), ("congthongtincantho1", FANPAGE),
    ("congthongtincant", FANPAGE), ("3460461954401350862", ZALO), ("canthotv1", YOUTUBE),
    ("congthongtincantho", None),  # the page itself is not an imitation of it
    ("cong", None), ("abcd", None),  # too short to say
    ("congthongtinhanoi", None), ("totally.different.page", None), ("congthongtinca", None),  # 4 edits off
])
def test_what_resembles_a_registered_page(key: str, expected: Channel | None) -> None:
    assert resembles(key, REGISTERED) == expected


def test_the_closest_registered_page_wins() -> None:
    near = Channel(4, "can_tho", "facebook", "x", "https://www.facebook.com/congthongtincanthabc", "active", None,
                   "2025")
    assert resembles("congthongtincanthab", [FANPAGE, near]) == near  # one edit beats two
    assert resembles("congthongtincanth0", [near, FANPAGE]) == FANPAGE  # the same once the tricks are undone


def test_first_segment_is_what_a_browser_sees() -> None:
    assert _first_segment("faceb00k.com/@CongThong/videos") == "congthong"
    assert _first_segment("https://faceb00k.com/a/%2e%2e/Real") == "real"
    assert _first_segment("https://faceb00k.com") == ""
    assert _first_segment("https://[bad") == ""


def test_a_lookalike_host_names_the_page_its_path_imitates() -> None:
    assert _imitated("https://faceb00k.com/congthongtincantho", REGISTERED) == FANPAGE
    assert _imitated("https://faceb00k.com/congthongtincanth0", REGISTERED) == FANPAGE
    assert _imitated("https://faceb00k.com/", REGISTERED) is None
    assert _imitated("https://faceb00k.com/someone", REGISTERED) is None


def test_judgements() -> None:
    by_url = {c.url: c for c in REGISTERED}
    assert judge(FANPAGE.url, by_url, REGISTERED).status == "official"
    assert judge("https://www.facebook.com/congthongtin.cantho", by_url, REGISTERED).status == "unregistered"
    assert judge("https://www.facebook.com/congthongtincanth0", by_url, REGISTERED).resembles == FANPAGE
    assert judge("https://www.facebook.com/congthongtincantho/randomtab", by_url, REGISTERED).status == "refused"
    assert judge("https://cantho.gov.vn/tin-tuc", by_url, REGISTERED).status == "government"
    assert judge("https://fb.me/x", by_url, REGISTERED).status == "service"


@pytest.mark.parametrize("text", ["https://", "www.", "http://"])
async def test_a_message_that_is_only_the_start_of_a_link_is_judged_as_one(bot: Harness, text: str) -> None:
    [answer] = [c for c in await bot.send(message(text)) if c.method == "sendMessage"]
    assert "ĐƯỜNG DẪN KHÔNG HỢP LỆ" in answer.params["text"]
