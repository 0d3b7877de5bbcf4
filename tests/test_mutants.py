"""Behaviours a mutation run (mutmut, see README "Mutation testing") showed no test would notice if they broke.

Each test names the surviving mutants it kills; each was checked to pass on the code and fail on its mutant.
They assert on the verdict a person is shown (status, the page it is said to imitate, the reason), never on mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.changes import UNDO, Changes, Outcome
from bot.config import parse_ids
from bot.links import LinkError, looks_like_url, parse_link
from bot.models import Channel
from bot.people import Person
from bot.services import Registry
from bot.verification import judge, page_key, resembles
from tests.fakebot.updates import message
from tests.telegram_harness import Harness


def channel(number: int, platform: str, url: str) -> Channel:
    return Channel(number, "can_tho", platform, f"kênh {number}", url, "active", None, "2025-11")


FANPAGE = channel(1, "facebook", "https://www.facebook.com/congthongtincantho")
PORTAL = channel(2, "portal", "https://cantho.gov.vn")
SERVICES = channel(3, "portal", "https://dichvucong.cantho.gov.vn/dvc")  # a portal registered with a path
VTV24 = channel(4, "youtube", "https://www.youtube.com/@vtv24")
DOTTED = channel(5, "facebook", "https://www.facebook.com/cantho.tv")
# The portal first: a registered page without a page key must not stop the search for the imitated one.
REGISTERED = [PORTAL, SERVICES, FANPAGE, VTV24, DOTTED]
BY_URL = {c.url: c for c in REGISTERED}


def verdict(text: str, registered: list[Channel] = REGISTERED) -> tuple[str, Channel | None]:
    judged = judge(text, {c.url: c for c in registered}, registered)
    return judged.status, judged.channel or judged.resembles


# judge__mutmut_78/79/81/82/83/87/96/99/100: the lookup of a portal page by its host
@pytest.mark.parametrize("url", ["https://cantho.gov.vn/tin-tuc/thong-bao", "https://cantho.gov.vn/a"])
def test_a_page_of_a_registered_portal_is_that_portals_official_page(url: str) -> None:
    assert verdict(url) == ("official", PORTAL)


# judge__mutmut_76/77: a portal registered with a path is found by its own URL, not replaced by its host's
def test_a_portal_registered_with_a_path_is_official_at_that_path() -> None:
    assert verdict(SERVICES.url) == ("official", SERVICES)


# judge__mutmut_15..18: punycode and non-Latin hosts are look-alikes, not merely refused
@pytest.mark.parametrize("url", ["https://xn--facebok-u0a.com/congthongtincantho",
                                 "https://facebооk.com/congthongtincantho"])  # Cyrillic "о"
def test_a_punycode_or_non_latin_host_is_a_lookalike(url: str) -> None:
    assert verdict(url)[0] == "lookalike"


# judge__mutmut_20/23: a look-alike host that imitates no registered page still says why it is fake
async def test_a_lookalike_host_without_an_imitated_page_says_which_domain_it_fakes(bot: Harness) -> None:
    judged = judge("faceb00k.com/someone", BY_URL, REGISTERED)
    assert judged.status == "lookalike" and judged.error is not None and judged.error.code == "lookalike"
    [answer] = [c for c in await bot.send(message("https://faceb00k.com/someone")) if c.method == "sendMessage"]
    assert "KHÔNG phải facebook.com" in answer.params["text"]


# A schemeless look-alike names the page it imitates (_first_segment__mutmut_9, "XXhttps://" + text, is
# equivalent: a URL of an unknown scheme has the same path).
def test_a_schemeless_lookalike_names_the_registered_page() -> None:
    assert verdict("faceb00k.com/congthongtincanth0") == ("lookalike", FANPAGE)


# judge__mutmut_38/39: a malformed path dressed as a registered page is a look-alike
def test_a_bad_path_dressed_as_a_registered_page_is_a_lookalike() -> None:
    assert verdict("https://www.facebook.com/congthongtin-cantho//x") == ("lookalike", FANPAGE)


# judge__mutmut_33: an http:// link is refused for being http, whatever page it names
def test_an_http_link_is_refused_with_its_reason_not_judged_by_its_path() -> None:
    judged = judge("http://www.facebook.com/congthongtincanth0", BY_URL, REGISTERED)
    assert judged.status == "refused" and judged.error is not None and judged.error.code == "not_https"


# resembles__mutmut_11: a registered page with no page key (a portal) listed first does not end the search
def test_a_lookalike_is_found_whatever_the_order_of_the_registry() -> None:
    assert resembles("congthongtincanth0", [PORTAL, FANPAGE]) == FANPAGE
    assert verdict("https://www.facebook.com/congthongtincanth0", [PORTAL, SERVICES, FANPAGE]) == (
        "lookalike", FANPAGE)


# resembles__mutmut_1/2: five characters are enough to judge ("vtv24")
def test_a_five_letter_page_key_can_be_imitated() -> None:
    assert resembles("vtv25", [VTV24]) == VTV24
    assert verdict("https://www.youtube.com/@vtv25") == ("lookalike", VTV24)


# resembles__mutmut_15: the page that is the same once the tricks are undone beats one that is an edit away
def test_the_page_equal_after_undoing_the_tricks_beats_a_near_one() -> None:
    near = channel(6, "facebook", "https://www.facebook.com/congthongtincanthoa")  # one edit from the fanpage
    assert resembles("congthongtincanth0", [near, FANPAGE]) == FANPAGE


# page_key__mutmut_48/49: /people/<name>/<id> pages are keyed by the name, so they can be look-alikes
def test_a_people_page_is_keyed_by_its_name_and_can_imitate() -> None:
    assert page_key("https://www.facebook.com/people/Cong-Thong-Tin/100064123456789/") == "cong-thong-tin"
    assert verdict("https://www.facebook.com/people/congthongtincanth0/100064123456789") == ("lookalike", FANPAGE)


# judge__mutmut_145/146: Facebook ignores dots; a registered page with a dot, written without it, is not a fake
def test_a_registered_dotted_name_written_without_the_dot_is_close_not_fake() -> None:
    judged = judge("https://www.facebook.com/canthotv", BY_URL, REGISTERED)
    assert (judged.status, judged.resembles) == ("unregistered", DOTTED)


# --- bot/links.py ------------------------------------------------------------------------------------------------

def refusal(text: str) -> tuple[str, str | None]:
    with pytest.raises(LinkError) as caught:
        parse_link(text)
    return caught.value.code, caught.value.detail


# _refuse_unknown_host__mutmut_41/42/43/44/45/46/47..55/59/60: digits read as letters reveal the brand
@pytest.mark.parametrize(("url", "brand"), [
    ("https://y0utub3-vn.com/x", "youtube.com"),  # 0 → o, 3 → e
    ("https://za1o-vn.com/x", "zalo.me"),  # 1 → l
    ("https://face2book-vn.com/x", "facebook.com"),  # a digit that reads as no letter is dropped
    ("https://face-book-vn.com/x", "facebook.com"),  # dashes dropped (_refuse_unknown_host__mutmut_10/11)
])
def test_a_host_spelling_a_brand_with_digits_is_a_lookalike_of_it(url: str, brand: str) -> None:
    assert refusal(url) == ("lookalike", brand)


# _refuse_unknown_host__mutmut_16/17/18/26: "www." is not part of the imitation; two edits are still one
@pytest.mark.parametrize("url", ["https://www.faceboook.com/x", "https://faecbook.com/x", "https://faceb0ck.com/x"])
def test_a_host_a_few_edits_from_a_platform_is_a_lookalike(url: str) -> None:
    assert refusal(url) == ("lookalike", "facebook.com")


# _refuse_unknown_host__mutmut_64/66/70/72, _zalo/_tiktok/_portal/_facebook error mutants: the reason shown
@pytest.mark.parametrize(("url", "reason"), [
    ("https://example.com/x", ("unknown_host", "example.com")),
    ("https://zalo.me/abc/def", ("no_page", "Zalo")),
    ("https://www.tiktok.com/", ("no_page", "TikTok")),
    ("https://www.tiktok.com/@abc/video/xyz", ("no_page", "TikTok")),
    ("https://www.tiktok.com/@ab%20c", ("bad_path", "")),
    ("https://cantho.gov.vn/a|b", ("bad_path", "")),
    ("https://www.facebook.com/", ("no_page", "Facebook")),
    ("https://www.facebook.com/profile.php", ("no_page", "Facebook")),
])
def test_a_refused_link_says_why(url: str, reason: tuple[str, str | None]) -> None:
    assert refusal(url) == reason


# _query_values__mutmut_6/8/12: a profile link with two ids, one blank, is not a page
def test_a_profile_link_with_a_blank_second_id_is_refused() -> None:
    assert refusal("https://www.facebook.com/profile.php?id=&id=100064123456789") == ("no_page", "Facebook")


# looks_like_url__mutmut_3: a question with spaces that starts like an address is a question, not a link
def test_a_sentence_starting_with_an_address_is_not_a_bare_link() -> None:
    assert not looks_like_url("cantho.gov.vn/ có phải trang chính thức không")
    assert looks_like_url("cantho.gov.vn/tin-tuc")


# --- bot/config.py, bot/people.py ----------------------------------------------------------------------------------

# parse_ids__mutmut_7/8: BOT_ADMIN_IDS may be separated by semicolons too
def test_admin_ids_separated_by_semicolons_are_all_admins() -> None:
    assert parse_ids("111; zalo:ab-C9 ;222") == frozenset(
        {Person.telegram(111), Person("zalo", "ab-C9"), Person.telegram(222)})


# parse_ids__mutmut_14: a wrong BOT_ADMIN_IDS stops the start with a message naming the variable and the value
def test_a_wrong_admin_id_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"BOT_ADMIN_IDS: not a user id: 'zalo:'"):
        parse_ids("111, zalo:")


# --- bot/changes.py ------------------------------------------------------------------------------------------------

ALICE, BOB = Person.telegram(101), Person.telegram(202)


def new_page(n: int) -> dict[str, str]:
    return {"place_slug": "can_tho", "platform": "facebook", "url": f"https://www.facebook.com/mutantpage{n:02d}",
            "name": f"Trang {n}"}


async def confirmed(changes: Changes, actor: Person, kind: str, payload: dict[str, Any]) -> str:
    token = await changes.propose(actor, kind, payload)
    return (await changes.confirm(token, actor, "Quản trị")).outcome


# _undoable__mutmut_3/4/9/11/12: a previewed undo of a change that is no longer the newest is stale, and undoes nothing
async def test_a_previewed_undo_of_an_older_change_is_stale_and_changes_nothing(registry: Registry) -> None:
    changes = Changes(registry)
    assert await confirmed(changes, ALICE, "add_channel", new_page(1)) == Outcome.APPLIED
    first = (await registry.store.last_change(ALICE))[0]
    assert await confirmed(changes, ALICE, "add_channel", new_page(2)) == Outcome.APPLIED
    token = await changes.propose(ALICE, UNDO, {"audit_id": first.id})
    result = await changes.confirm(token, ALICE, "Quản trị")
    assert (result.outcome, result.kind) == (Outcome.STALE, UNDO)
    assert await registry.store.channel_by_url(new_page(1)["url"]) is not None
    assert await registry.store.channel_by_url(new_page(2)["url"]) is not None


# _undoable__mutmut_3: a previewed undo of a change already undone is stale (no second undo)
async def test_a_previewed_undo_of_a_change_already_undone_is_stale(registry: Registry) -> None:
    changes = Changes(registry)
    assert await confirmed(changes, ALICE, "add_channel", new_page(3)) == Outcome.APPLIED
    entry = (await registry.store.last_change(ALICE))[0]
    token = await changes.propose(ALICE, UNDO, {"audit_id": entry.id})
    # undo__mutmut_16..22: the undo says what it undid, and where
    done = await changes.undo(ALICE, "Quản trị")
    assert (done.outcome, done.place_slug, done.detail, done.kind) == (Outcome.APPLIED, "can_tho", "add_channel", UNDO)
    audit = await registry.store.all_audit()
    # undo__mutmut_5: the undo is recorded under the name of the admin who made it
    assert [(e.action, e.actor_name, e.undoes) for e in audit if e.undoes == entry.id] == [
        ("undo", "Quản trị", entry.id)]
    audit_before = len(audit)
    assert (await changes.confirm(token, ALICE, "Quản trị")).outcome == Outcome.STALE
    assert len(await registry.store.all_audit()) == audit_before


# cancel__mutmut_15..19: another admin cannot cancel a preview, and is told it is not theirs; the owner still can
async def test_cancel_by_another_admin_is_refused_and_the_preview_stays(registry: Registry) -> None:
    changes = Changes(registry)
    token = await changes.propose(ALICE, "add_channel", new_page(4))
    assert (await changes.cancel(token, BOB)).outcome == Outcome.NOT_YOURS
    assert (await changes.cancel(token, ALICE)).outcome == Outcome.CANCELLED
    assert (await changes.cancel(token, ALICE)).outcome == Outcome.ALREADY
    assert (await changes.cancel("no-such-token", ALICE)).outcome == Outcome.UNKNOWN


# grant/revoke mutants on the audit row, revoke__mutmut_3: /history records who granted and revoked whom;
# revoking someone who is not an admin says so and records nothing
async def test_grant_and_revoke_are_recorded_and_revoking_a_stranger_is_not(registry: Registry) -> None:
    changes = Changes(registry)
    someone = Person("zalo", "abc123")
    assert await changes.grant(ALICE, "An", someone, "Bình")
    assert await changes.revoke(ALICE, "An", someone)
    audit_count = len(await registry.store.all_audit())
    assert not await changes.revoke(ALICE, "An", Person.telegram(424242))
    audit = await registry.store.all_audit()
    assert len(audit) == audit_count
    granted, revoked = [e for e in audit if e.action in ("grant", "revoke")][-2:]
    assert (granted.actor, granted.actor_name, granted.entity, granted.before, granted.after) == (
        ALICE, "An", "admin", None, {"person": "zalo:abc123", "name": "Bình"})
    assert (revoked.actor_name, revoked.entity, revoked.before, revoked.after) == (
        "An", "admin", {"person": "zalo:abc123"}, None)
