"""Link rules: canonical forms, and refusals (with their reason) for every trick we know of."""

from __future__ import annotations

import pytest

from bot.links import LinkError, looks_like_url, parse_link


@pytest.mark.parametrize(
    ("raw", "platform", "canonical"),
    [
        ("https://www.facebook.com/congthongtincantho", "facebook", "https://www.facebook.com/congthongtincantho"),
        ("facebook.com/cttdtbentre", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://facebook.com/cttdtbentre/", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://m.facebook.com/CttdtBenTre?ref=share", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://fb.com/cttdtbentre#top", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://web.facebook.com/cttdtbentre/about", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://FACEBOOK.COM./cttdtbentre", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("HTTPS://www.facebook.com:443/cttdtbentre", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("facebook.com:443/cttdtbentre", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://www.facebook.com/profile.php?id=100064", "facebook",
         "https://www.facebook.com/profile.php?id=100064"),
        ("https://zalo.me/3460461954401350861", "zalo", "https://zalo.me/3460461954401350861"),
        ("zalo.me/3460461954401350861/", "zalo", "https://zalo.me/3460461954401350861"),
        ("https://www.zalo.me/3460461954401350861?src=qr", "zalo", "https://zalo.me/3460461954401350861"),
        ("https://cantho.gov.vn/", "portal", "https://cantho.gov.vn"),
        ("https://www.bentre.gov.vn/Pages/home.aspx", "portal", "https://www.bentre.gov.vn/Pages/home.aspx"),
        ("https://www.youtube.com/@VTV24", "youtube", "https://www.youtube.com/@vtv24"),
        ("https://www.tiktok.com/@cantho.gov", "tiktok", "https://www.tiktok.com/@cantho.gov"),
        ("  https://zalo.me/3460461954401350861  ", "zalo", "https://zalo.me/3460461954401350861"),
        # What a browser opens: the page after the dot segments (not registered, so /verify says so).
        ("https://www.facebook.com/congthongtincantho/%2E%2E/canthoofficial.support", "facebook",
         "https://www.facebook.com/canthoofficial.support"),
        # %63 is "c", dot segments resolve, a lone "." is the page itself.
        ("https://facebook.com/%63ttdtbentre", "facebook", "https://www.facebook.com/cttdtbentre"),
        ("https://cantho.gov.vn/a/../b", "portal", "https://cantho.gov.vn/b"),
        ("https://cantho.gov.vn/.", "portal", "https://cantho.gov.vn"),
        ("https://www.facebook.com/p/Cong-Thong-Tin-100064123456/", "facebook",
         "https://www.facebook.com/p/Cong-Thong-Tin-100064123456/"),
        ("https://www.facebook.com/people/Cong-Thong-Tin/100064123456", "facebook",
         "https://www.facebook.com/people/Cong-Thong-Tin/100064123456/"),
        ("https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv/videos", "youtube",
         "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv"),
        ("https://www.tiktok.com/@cantho.gov/video/7301234567890", "tiktok", "https://www.tiktok.com/@cantho.gov"),
        ("https://chinhphu.vn/", "portal", "https://chinhphu.vn"),
        ("https://baochinhphu.vn", "portal", "https://baochinhphu.vn"),
    ],
)
def test_canonical_forms(raw: str, platform: str, canonical: str) -> None:
    link = parse_link(raw)
    assert (link.platform, link.url) == (platform, canonical)


HOSTILE = [
    ("http://www.facebook.com/congthongtincantho", "not_https"),
    ("ftp://facebook.com/x", "not_https"),
    ("javascript:alert(1)", "not_https"),
    ("data:text/html,<script>", "not_https"),
    ("https://facebook.com@evil.example/page", "userinfo"),
    ("https://user:pass@facebook.com/page", "userinfo"),
    ("https://www.facebook.com:444/page", "port"),
    ("https://facebook.com.evil.example/congthongtincantho", "lookalike"),
    ("https://faceb00k.com/congthongtincantho", "lookalike"),
    ("https://facebok.com/congthongtincantho", "lookalike"),
    ("https://face-book.com/congthongtincantho", "lookalike"),
    ("https://facebook-login.example/congthongtincantho", "lookalike"),
    ("https://zaloo.me/3460461954401350861", "lookalike"),
    ("https://zalo.me.example.net/3460461954401350861", "lookalike"),
    ("https://zalo-me.com/3460461954401350861", "lookalike"),
    ("https://cantho.gov.vn.example.com/", "lookalike"),
    ("https://canthogov.vn/", "lookalike"),
    ("https://xn--facebok-y0a.com/page", "punycode"),
    ("https://www.xn--fcebook-8va.com/page", "punycode"),
    ("https://fаcebook.com/page", "non_ascii"),  # Cyrillic а
    ("https://facebook.com/pаge", "non_ascii"),
    ("https://facebook.com\\@evil.example", "backslash"),
    ("https://facebook.com/page\nhttps://evil.example", "control_chars"),
    ("https://facebook.com/pa\u200bge", "control_chars"),
    ("https://facebook.com/pa ge", "control_chars"),
    ("https://facebook.com/\x00x", "control_chars"),
    ("https://facebook.com/" + "a" * 600, "too_long"),
    ("https://1.2.3.4/page", "ip_host"),
    ("https://[::1]/page", "ip_host"),
    ("https://evil.example/", "unknown_host"),
    ("https://bit.ly/abc", "unknown_host"),
    ("https://facebook.com/", "no_page"),
    ("https://facebook.com/l.php?u=https%3A%2F%2Fevil.example", "no_page"),
    ("https://facebook.com/sharer/sharer.php?u=x", "no_page"),
    ("https://www.facebook.com/login", "no_page"),
    ("https://zalo.me/", "no_page"),
    ("https://zalo.me/abc", "no_page"),
    ("https://zalo.me/123/456", "no_page"),
    ("https://", "malformed"),
    ("https:/facebook.com/cttdtbentre", "malformed"),
    ("https:facebook.com/cttdtbentre", "malformed"),
    ("mailto:banbientap@bentre.gov.vn", "not_https"),
    ("https://www.facebook.com.vn/cttdtbentre", "lookalike"),
    ("https://facebook.com%40evil.example/x", "malformed"),
    ("https://evil.example#@facebook.com/x", "unknown_host"),
    ("https://facebook.com/x\u202e", "control_chars"),
    ("", "empty"),
    ("https://-facebook.com/x", "malformed"),
    # A browser resolves these to another page than the one they name.
    ("https://www.facebook.com/congthongtincantho/%2e%2e/l.php?u=https%3A%2F%2Fevil.example", "no_page"),
    ("https://www.youtube.com/@x/%2e%2e/redirect?q=https://evil.example", "no_page"),
    ("https://www.tiktok.com/@x/%2e%2e/link/v2?target=https://evil.example", "no_page"),
    # Distinct pages must not collapse: shapes without their id are refused.
    ("https://www.facebook.com/p/", "no_page"),
    ("https://www.facebook.com/p/SomeName", "no_page"),
    ("https://www.facebook.com/pg/congthongtincantho", "no_page"),
    ("https://www.facebook.com/reel/123456789", "no_page"),
    ("https://www.facebook.com/stories/123456789", "no_page"),
    ("https://www.facebook.com/media/set/?set=a.1", "no_page"),
    ("https://www.facebook.com/flx/warn/?u=https://evil.example", "no_page"),
    ("https://www.facebook.com/r.php", "no_page"),
    ("https://www.facebook.com/logout.php?next=https://evil.example", "no_page"),
    ("https://www.facebook.com/checkpoint/?next=https://evil.example", "no_page"),
    ("https://www.facebook.com/v19.0/dialog/oauth?redirect_uri=https://evil.example", "no_page"),
    ("https://www.facebook.com/index.php?next=https://evil.example", "no_page"),
    ("https://www.facebook.com/n/?x", "no_page"),
    ("https://www.facebook.com/.", "no_page"),
    ("https://www.facebook.com/home", "no_page"),
    ("https://www.facebook.com/profile.php?id=²", "non_ascii"),
    ("https://www.facebook.com/profile.php?id=1&id=2", "no_page"),
    ("https://www.facebook.com//evil.example", "bad_path"),
    ("https://l.facebook.com/l.php?u=https://evil.example", "platform_service"),
    ("https://fb.me/abc", "platform_service"),
    ("https://youtu.be/abc", "platform_service"),
    ("https://vt.tiktok.com/ZS123/", "platform_service"),
    ("https://oa.zalo.me/home", "platform_service"),
    ("https://" + "a" * 64 + ".gov.vn/", "malformed"),
    ("https://" + ".".join(["a" * 60] * 5) + ".gov.vn/", "malformed"),
    ("https://0x7f.1/", "ip_host"),
    ("https://2130706433/", "ip_host"),
]


@pytest.mark.parametrize(("raw", "code"), HOSTILE)
def test_hostile_links_are_refused_with_a_reason(raw: str, code: str) -> None:
    with pytest.raises(LinkError) as caught:
        parse_link(raw)
    assert caught.value.code == code


def test_lookalike_names_what_it_imitates() -> None:
    with pytest.raises(LinkError) as caught:
        parse_link("https://faceb00k.com/x")
    assert caught.value.detail == "facebook.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("https://zalo.me/1", True), ("www.facebook.com/x", True), ("facebook.com/x", True),
     ("cần thơ", False), ("hello world", False), ("ben tre", False)],
)
def test_looks_like_url(text: str, expected: bool) -> None:
    assert looks_like_url(text) is expected
