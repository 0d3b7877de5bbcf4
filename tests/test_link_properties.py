"""Properties of parse_link, checked against the page a browser opens (computed independently with ada-url).

URLs are drawn from a grammar that mixes the platforms' hosts with the pieces attackers use: system words,
dot segments in every encoding, percent-escapes, empty segments, userinfo, ports, queries and fragments.
Whenever parse_link accepts one, the browser's view of the same text must agree with the canonical form.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qs, urlsplit

import ada_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.links import LinkError, parse_link

SETTINGS = settings(
    max_examples=250, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

PAGE_HOSTS = {
    "facebook": {
        "facebook.com",
        "www.facebook.com",
        "m.facebook.com",
        "web.facebook.com",
        "mbasic.facebook.com",
        "fb.com",
        "www.fb.com",
    },
    "zalo": {"zalo.me", "www.zalo.me"},
    "youtube": {"youtube.com", "www.youtube.com", "m.youtube.com"},
    "tiktok": {"tiktok.com", "www.tiktok.com", "m.tiktok.com"},
}
OTHER_HOSTS = [
    "l.facebook.com",
    "lm.facebook.com",
    "business.facebook.com",
    "fb.me",
    "m.me",
    "youtu.be",
    "music.youtube.com",
    "vt.tiktok.com",
    "oa.zalo.me",
    "faceb00k.com",
    "facebook.com.evil.example",
    "evil.example",
    "cantho.gov.vn",
    "www.cantho.gov.vn",
    "chinhphu.vn",
    "cantho.gov.vn.evil.example",
    "127.0.0.1",
    "0x7f.1",
]
FB_SYSTEM = {
    "login",
    "logout",
    "watch",
    "groups",
    "events",
    "settings",
    "marketplace",
    "gaming",
    "stories",
    "reels",
    "media",
    "checkpoint",
    "sharer",
    "dialog",
    "plugins",
    "pages",
    "people",
    "profile",
    "search",
    "hashtag",
    "business",
    "recover",
    "notifications",
    "friends",
    "bookmarks",
    "messages",
    "photos",
    "videos",
    "help",
    "home",
    "share",
    "reel",
    "flx",
    "n",
    "pg",
    "l",
    "r",
    "index",
    "photo",
    "video",
    "permalink",
    "story",
    "ajax",
}
FB_TABS = {
    "about",
    "posts",
    "photos",
    "videos",
    "reels",
    "events",
    "community",
    "reviews",
    "mentions",
    "followers",
    "live_videos",
}
YT_SYSTEM = {
    "watch",
    "redirect",
    "results",
    "shorts",
    "playlist",
    "embed",
    "attribution_link",
    "signin",
    "logout",
    "premium",
    "feed",
    "live",
    "v",
    "clip",
    "post",
}
YT_TABS = {"videos", "featured", "streams", "shorts", "playlists", "community", "about", "live", "podcasts", "posts"}
TT_SYSTEM = {"link", "share", "t", "login", "logout", "foryou", "discover", "tag", "music", "embed", "search", "live"}

CHANNEL = "UC0123456789abcdefABCDEF"
WORDS = [
    "congthongtincantho",
    "CongThongTinCanTho",
    "cttdtbentre",
    "cong.thong.tin",
    "abcde",
    "abcd",
    "100064123456789",
    "3460461954401350861",
    "12345",
    "@vtv24",
    "@VTV24",
    "@cantho.gov",
    "@ab",
    "channel",
    CHANNEL,
    "c",
    "user",
    "vtv24",
    "p",
    "UBND-Phuong-100064123456789",
    "UBND-Phuong",
    "people",
    "pages",
    "profile.php",
    "video",
    "photo",
    "7234567890123456789",
    *sorted(FB_TABS | YT_TABS),
    *sorted(FB_SYSTEM),
    *sorted(YT_SYSTEM),
    *sorted(TT_SYSTEM),
    "l.php",
    "sharer.php",
    "home.php",
    "login.php",
    "v19.0",
    "oauth",
    "evil.example",
    "x",
    "",
]
DOTS = [".", "..", "%2e", "%2E", "%2e%2e", "%2E%2E", "%2e%2E", ".%2e", ".%2E", "%2e.", "%2E."]
UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")


def _escape_some(draw: st.DrawFn, word: str) -> str:
    """`word` with a few characters written as %XX (either case), or followed by an awkward escape."""
    if not word:
        return word
    chars = list(word)
    for i in draw(st.lists(st.integers(0, len(chars) - 1), max_size=3)):
        if len(chars[i]) == 1:  # not already escaped
            hexed = f"{ord(chars[i]):02x}"
            chars[i] = "%" + (hexed.upper() if draw(st.booleans()) else hexed)
    tail = draw(st.sampled_from(["", "", "", "%2F", "%2f..%2fl.php", "%00", "%20", "%3F", ";x", "%25", "%C3%A9"]))
    return "".join(chars) + tail


@st.composite
def segments(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["word"] * 6 + ["dots"] * 2 + ["escaped"] * 2 + ["empty"]))
    if kind == "word":
        return draw(st.sampled_from(WORDS))
    if kind == "dots":
        return draw(st.sampled_from(DOTS))
    if kind == "escaped":
        return _escape_some(draw, draw(st.sampled_from(WORDS)))
    return ""


@st.composite
def _host_variant(draw: st.DrawFn, host: str) -> str:
    if draw(st.integers(0, 4)) == 0:
        host = host.upper()
    if draw(st.integers(0, 6)) == 0:
        host += "."
    if draw(st.integers(0, 6)) == 0:
        i = draw(st.integers(0, len(host) - 1))
        if host[i] != ".":
            host = host[:i] + f"%{ord(host[i]):02X}" + host[i + 1 :]
    return host


HEADS = {
    "facebook": [
        ["congthongtincantho"],
        ["CongThongTinCanTho"],
        ["cttdtbentre"],
        ["cong.thong.tin"],
        ["abcde"],
        ["100064123456789"],
        ["profile.php"],
        ["p", "UBND-Phuong-100064123456789"],
        ["p", "Trung-T%c3%a2m-100064123456789"],
        ["people", "UBND-Phuong", "100064123456789"],
        ["pages", "UBND-Phuong", "100064123456789"],
        ["l.php"],
        ["login"],
    ],
    "zalo": [["3460461954401350861"], ["12345"], ["1234"]],
    "youtube": [["@vtv24"], ["@VTV24"], ["channel", CHANNEL], ["c", "VTV24"], ["user", "vtv24news"], ["watch"]],
    "tiktok": [["@cantho.gov"], ["@Cantho.Gov"], ["@cantho.gov", "video", "7234567890123456789"], ["link", "v2"]],
    "portal": [["tin-tuc"], ["Pages", "home.aspx"], []],
}
PORTAL_HOSTS = ["cantho.gov.vn", "www.bentre.gov.vn", "chinhphu.vn", "baochinhphu.vn"]


@st.composite
def urls(draw: st.DrawFn) -> str:
    platform = draw(st.sampled_from(sorted(HEADS)))
    if platform == "portal":
        host = draw(st.sampled_from(PORTAL_HOSTS))
    elif draw(st.integers(0, 5)) == 0:
        host = draw(st.sampled_from(OTHER_HOSTS))
    else:
        host = draw(st.sampled_from(sorted(PAGE_HOSTS[platform])))
    host = draw(_host_variant(host))
    segs = list(draw(st.sampled_from(HEADS[platform])))
    segs += draw(st.lists(segments(), max_size=2))
    for _ in range(draw(st.integers(0, 2))):  # mutate: insert a dot segment or a word, or escape a segment
        at = draw(st.integers(0, len(segs)))
        how = draw(st.sampled_from(["dots", "word", "escape"]))
        if how == "dots":
            segs.insert(at, draw(st.sampled_from(DOTS)))
        elif how == "word":
            segs.insert(at, draw(segments()))
        elif segs:
            i = at % len(segs)
            segs[i] = _escape_some(draw, segs[i])
    path = "/" + "/".join(segs)
    if draw(st.integers(0, 3)) == 0:
        path += "/"
    scheme = draw(st.sampled_from(["https://"] * 6 + ["HTTPS://", ""]))
    userinfo = draw(st.sampled_from([""] * 12 + ["user@", ":@", "www.facebook.com@", "@"]))
    port = draw(st.sampled_from([""] * 8 + [":443", ":444", ":", ":00443"]))
    query = draw(
        st.sampled_from(
            [""] * 6
            + [
                "?id=100064123456789",
                "?id=1&id=2",
                "?ref=share",
                "?u=https%3A%2F%2Fevil.example",
                "?v=1",
                "?id=%31%32%33%34%35",
                "?id=\u0661\u0662\u0663",
                "?",
            ]
        )
    )
    fragment = draw(st.sampled_from([""] * 6 + ["#top", "#@evil.example", "#/../l.php", "#"]))
    return f"{scheme}{userinfo}{host}{port}{path}{query}{fragment}"


def _browser(raw: str) -> ada_url.URL:
    text = raw.strip()
    if not re.match(r"^https://", text, re.IGNORECASE):
        text = "https://" + text
    return ada_url.URL(text)


def _decode_unreserved(segment: str) -> str:
    def one(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if re.fullmatch(r"[A-Za-z0-9._~-]", ch) else "%" + m.group(1).upper()

    return UNRESERVED.sub(one, segment)


def _server_segments(pathname: str) -> list[str]:
    segs = [_decode_unreserved(s) for s in pathname.split("/")[1:]]
    if segs and segs[-1] == "":
        segs.pop()
    return segs


def _fold(platform: str, segs: list[str]) -> list[str]:
    """Case-fold the segments the platform treats case-insensitively."""
    if platform in ("facebook", "tiktok"):
        return [s.lower() for s in segs]
    if platform == "youtube" and segs:
        if segs[0].startswith("@"):
            return [segs[0].lower(), *[s.lower() for s in segs[1:]]]
        if segs[0] == "channel":
            return [segs[0], *segs[1:2], *[s.lower() for s in segs[2:]]]
        return [s.lower() for s in segs]
    return segs


def _page_key(platform: str, browser: ada_url.URL) -> tuple[str, ...]:
    """What identifies the page the browser opens, from the browser's URL alone."""
    host = browser.hostname.lower().rstrip(".")
    segs = _fold(platform, _server_segments(browser.pathname))
    if platform == "portal":
        return (platform, host, *segs)
    if platform == "facebook":
        if segs and segs[0] == "profile.php":
            return (platform, "profile", *parse_qs(browser.search.lstrip("?")).get("id", []))
        if segs and segs[0] in ("p", "people", "pages"):
            return (platform, *segs[:3])
        return (platform, *segs[:1])
    if platform == "youtube" and segs and segs[0] in ("channel", "c", "user"):
        return (platform, *segs[:2])
    return (platform, *segs[:1])


def _check_browser_agrees(raw: str, platform: str, canonical: str) -> None:
    browser = _browser(raw)
    host = browser.hostname.lower().rstrip(".")
    assert browser.username == "" and browser.password == "", (raw, canonical)
    assert browser.port == "", (raw, canonical)  # ada drops the default port 443
    canon = urlsplit(canonical)
    opened = _fold(platform, _server_segments(browser.pathname))
    expected = _fold(platform, _server_segments(canon.path or "/"))
    if platform == "portal":
        assert host == canon.hostname, (raw, canonical)
        assert opened == expected, (raw, canonical, browser.href)
        return
    assert host in PAGE_HOSTS[platform], (raw, canonical, browser.href)
    assert opened[: len(expected)] == expected, (raw, canonical, browser.href)
    rest = opened[len(expected) :]
    first = expected[0]
    if platform == "facebook":
        assert first not in FB_SYSTEM - {"pages", "people"}, (raw, canonical)
        assert not (first.endswith(".php") and first != "profile.php"), (raw, canonical)
        if first == "profile.php":
            ids = parse_qs(browser.search.lstrip("?")).get("id", [])
            assert ids == [canon.query.removeprefix("id=")], (raw, canonical, browser.href)
            assert re.fullmatch(r"[0-9]+", ids[0]), (raw, canonical)
        assert not rest or (first not in ("p", "people", "pages", "profile.php") and rest[0] in FB_TABS), (
            raw,
            canonical,
            browser.href,
        )
    elif platform == "youtube":
        assert first not in YT_SYSTEM, (raw, canonical)
        assert not rest or rest[0] in YT_TABS, (raw, canonical, browser.href)
    elif platform == "tiktok":
        assert first.startswith("@") and first[1:] not in TT_SYSTEM, (raw, canonical)
        assert not rest or (rest[0] in ("video", "photo") and len(rest) <= 2), (raw, canonical, browser.href)
        assert all(re.fullmatch(r"[0-9]+", s) for s in rest[1:]), (raw, canonical, browser.href)
    elif platform == "zalo":
        assert not rest and re.fullmatch(r"[0-9]{5,25}", first), (raw, canonical, browser.href)


@SETTINGS
@given(urls())
def test_accepted_urls_agree_with_the_page_the_browser_opens(raw: str) -> None:
    try:
        link = parse_link(raw)
    except LinkError:
        return
    _check_browser_agrees(raw, link.platform, link.url)


@SETTINGS
@given(urls())
def test_canonical_forms_are_idempotent(raw: str) -> None:
    try:
        link = parse_link(raw)
    except LinkError:
        return
    again = parse_link(link.url)
    assert (again.platform, again.url) == (link.platform, link.url)
    _check_browser_agrees(link.url, link.platform, link.url)


@SETTINGS
@given(st.lists(urls(), min_size=2, max_size=8))
def test_canonical_forms_and_pages_correspond_one_to_one(raws: list[str]) -> None:
    canonical_of_key: dict[tuple[str, ...], str] = {}
    key_of_canonical: dict[str, tuple[str, ...]] = {}
    for raw in raws:
        try:
            link = parse_link(raw)
        except LinkError:
            continue
        key = _page_key(link.platform, _browser(raw))
        assert canonical_of_key.setdefault(key, link.url) == link.url, ("one page, two canonical forms", raw, key)
        assert key_of_canonical.setdefault(link.url, key) == key, ("one canonical form, two pages", raw, link.url)


def _only_link_errors(text: str) -> None:
    with contextlib.suppress(LinkError):
        parse_link(text)


@SETTINGS
@given(st.text())
def test_arbitrary_text_raises_only_link_errors(text: str) -> None:
    _only_link_errors(text)


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8")), st.sampled_from(["https://", "https://www.facebook.com/", ""]))
def test_arbitrary_unicode_after_a_prefix_raises_only_link_errors(text: str, prefix: str) -> None:
    _only_link_errors(prefix + text)


@SETTINGS
@given(urls(), st.integers(0, 200), st.characters(codec="utf-8"))
def test_a_character_inserted_anywhere_raises_only_link_errors(raw: str, at: int, ch: str) -> None:
    at %= len(raw) + 1
    text = raw[:at] + ch + raw[at:]
    try:
        link = parse_link(text)
    except LinkError:
        return
    _check_browser_agrees(text, link.platform, link.url)


def test_the_grammar_reaches_every_platform() -> None:
    """A fixed sample of the grammar: enough of it is accepted, on every platform, for the properties to bite."""
    seen: dict[str, int] = {}

    @settings(max_examples=500, derandomize=True, database=None, deadline=None)
    @given(urls())
    def sample(raw: str) -> None:
        try:
            platform = parse_link(raw).platform
            seen[platform] = seen.get(platform, 0) + 1
        except LinkError:
            pass

    sample()
    assert set(seen) == {"facebook", "zalo", "youtube", "tiktok", "portal"}, seen
    assert sum(seen.values()) >= 150, seen
