"""Writes hostile_links.tsv and accepted_links.tsv (run: python tests/data/make_link_corpus.py).

The .tsv files are the artifact the tests read; this script only keeps them readable and reproducible.
Encoding of the link column: literal text, except that a backslash starts an escape (\\t, \\n, \\r, \\\\,
\\xHH, \\uHHHH, \\UHHHHHHHH). Control, space, format (zero-width, bidi) and separator characters are always
written escaped, so every invisible character in a link is visible in review.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

HERE = Path(__file__).parent

FB = "https://www.facebook.com"
PAGE = "congthongtincantho"
EVIL = "https://evil.example/phish"
EVIL_Q = "https%3A%2F%2Fevil.example%2Fphish"
ZALO_ID = "3460461954401350861"
CHANNEL = "UC0123456789abcdefABCDEF"  # UC + 22
HOMEPAGE = "https://cantho.gov.vn"

hostile: list[tuple[str, str]] = []


def add(category: str, *links: str) -> None:
    for link in links:
        hostile.append((link, category))


# --- scheme -------------------------------------------------------------------------------------------
add(
    "scheme",
    f"http://www.facebook.com/{PAGE}",
    f"HTTP://www.facebook.com/{PAGE}",
    f"http://zalo.me/{ZALO_ID}",
    "http://cantho.gov.vn/",
    "ftp://facebook.com/x",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "javascript://www.facebook.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "mailto:banbientap@cantho.gov.vn",
    "file:///etc/passwd",
    "wss://www.facebook.com/chat",
    "intent://www.facebook.com/x#Intent;scheme=https;end",
    "fb://page/100064123456789",
    "zalo://conversation?uid=1",
    "vbscript:msgbox(1)",
    f"blob:https://www.facebook.com/{PAGE}",
    f"view-source:https://www.facebook.com/{PAGE}",
    "about:blank",
    f"hxxps://www.facebook.com/{PAGE}",
    f"httpss://www.facebook.com/{PAGE}",
    f"https+http://www.facebook.com/{PAGE}",
    "tel:+842923820000",
    "sms:+84292?body=https://evil.example",
    f"https//www.facebook.com/{PAGE}",
    f"https://https://evil.example/{PAGE}",
)
add(
    "malformed",
    "https:/www.facebook.com/" + PAGE,
    "https:www.facebook.com/" + PAGE,
    "https:/zalo.me/" + ZALO_ID,
    "https:zalo.me/" + ZALO_ID,
    "https://",
    "https:",
    "https:/",
    "https://.",
    "https://..",
    "https://.facebook.com/" + PAGE,
    "https://facebook..com/" + PAGE,
    "https://www..facebook.com/" + PAGE,
    "https://-facebook.com/" + PAGE,
    "https://facebook-.com/" + PAGE,
    "https://face_book.com/" + PAGE,
    "https://[facebook.com]/" + PAGE,
    "https://%zz/",
    "https://%/",
    "https://facebook.com%/x",
    "https://facebook.com%2fevil.example/",
    "https://www.facebook.com%00.evil.example/x",
    "https://cantho.gov.vn%40evil.example/",
    "https://evil.example%40www.facebook.com/x",
    "https://cantho.gov.vn*/",
    "https://*.gov.vn/",
    "https://cantho.gov.vn|evil.example/",
    "https://facebook.com<script>/",
    "https://www.facebook.com:65536/" + PAGE,
    "https://www.facebook.com:443x/x",
    "https://www.facebook.com:-1/x",
    "https://?",
    "https://#",
    "https://facebook/" + PAGE,
    "https://localhost/" + PAGE,
    "https://vn/",
)

# --- control, whitespace, invisible and bidi characters ------------------------------------------------
add(
    "control-chars",
    f"https://www.face\tbook.com/{PAGE}",
    f"https://www.facebook.com/{PAGE}\nhttps://evil.example",
    f"https://www.facebook.com/l.php?u={EVIL}\r\n",
    "https://www.facebook.com/con\rgthongtincantho",
    f"https://www.facebook.com/{PAGE}\x00",
    f"https://www.facebook.com\x00.evil.example/{PAGE}",
    f"https://www.facebook.com/{PAGE}\x7f",
    "https://www.facebook.com/cong\x85thongtincantho",
    "https://zalo.me/3460\t461954401350861",
    f"https://evil.example https://www.facebook.com/{PAGE}",
    "https://www.facebook.com/cong thong tin",
    f"https://www.facebook.com/{PAGE}\u00a0x",
    f"https://www.facebook.com/{PAGE}\u3000x",
    f"https://www.facebook.com/{PAGE}\u2028x",
    f"https://www.facebook.com/\x0b{PAGE}",
    f"https://www.face\x0cbook.com/{PAGE}",
    "https://zalo.me/\x1b[31m" + ZALO_ID,
)
add(
    "zero-width",
    f"https://www.facebook.com/{PAGE}\u200b",
    f"https://www.face\u200bbook.com/{PAGE}",
    f"https://zalo\u200c.me/{ZALO_ID}",
    "https://www.facebook.com/cong\u200dthongtin",
    f"https://www.facebook.com/\u2060{PAGE}",
    f"\ufeffhttps://www.facebook.com/{PAGE}",
    f"https://face\u00adbook.com/{PAGE}",
    f"https://face\u034fbook.com/{PAGE}",
    f"https://face\u180ebook.com/{PAGE}",
    "https://you\u00adtube.com/@vtv24",
    "https://cantho\u00ad.gov.vn/",
)
add(
    "bidi-control",
    f"https://www.facebook.com/{PAGE}\u202e",
    "https://www.facebook.com/\u202egnp.php",
    f"https://\u202emoc.koobecaf.www/{PAGE}",
    f"https://www.facebook.com/{PAGE}\u202d",
    f"https://www.facebook.com/\u2066{PAGE}\u2069",
    "https://www.facebook.com/\u2067x\u2069",
    f"https://www.facebook.com/\u2068{PAGE}\u2069",
    f"https://www.facebook.com/{PAGE}\u200e",
    f"https://zalo.me/\u200f{ZALO_ID}",
    f"https://www.facebook.com/{PAGE}\u061c",
    "https://cantho.gov.vn.evil.example/\u202ecom.nv.vog.ohtnac",
)
add(
    "backslash",
    "https://www.facebook.com\\@evil.example/",
    "https:\\\\www.facebook.com\\" + PAGE,
    "https://evil.example\\@www.facebook.com/x",
    f"https://www.facebook.com/{PAGE}\\..\\l.php?u={EVIL}",
    f"https://www.facebook.com\\.evil.example/{PAGE}",
)
add(
    "too-long",
    f"https://www.facebook.com/{PAGE}?" + "a" * 500,
    "https://cantho.gov.vn/" + "tin-tuc/" * 70,
    f"https://zalo.me/{ZALO_ID}#" + "x" * 520,
)

# --- Unicode whitespace and tag characters: a browser keeps them (percent-encoded), so the page differs ----
add(
    "unicode-whitespace",
    f"https://www.facebook.com/{PAGE}\u00a0",
    f"https://www.facebook.com/{PAGE}\u3000",
    f"https://www.facebook.com/{PAGE}\x85",
    f"https://zalo.me/{ZALO_ID}\u2028",
    "https://cantho.gov.vn/tin\u00a0tuc",
    "https://cantho.gov.vn/tin\u3000tuc",
    "https://cantho.gov.vn/tin\u2028tuc",
    "https://cantho.gov.vn/tin\u1680tuc",
    "https://cantho.gov.vn/tin\u2000tuc",
    "https://cantho.gov.vn/tin\u205ftuc",
    "https://cantho.gov.vn/tin\U000e0001tuc",
)

# --- userinfo ------------------------------------------------------------------------------------------
add(
    "userinfo",
    "https://www.facebook.com@evil.example/" + PAGE,
    "https://facebook.com:443@evil.example/" + PAGE,
    "https://www.facebook.com.@evil.example/" + PAGE,
    "https://www.facebook.com.:443@evil.example/" + PAGE,
    "https://user:pass@www.facebook.com/" + PAGE,
    "https://@www.facebook.com/" + PAGE,
    "https://:@www.facebook.com/" + PAGE,
    "https://a@b@www.facebook.com/" + PAGE,
    "https://www.facebook.com:@evil.example/" + PAGE,
    "https://www.facebook.com&@evil.example/" + PAGE,
    "https://www.facebook.com%2f@evil.example/" + PAGE,
    "https://www.facebook.com%40evil.example@evil.example/",
    "https://zalo.me@evil.example/" + ZALO_ID,
    "https://zalo.me:443@evil.example/" + ZALO_ID,
    "https://cantho.gov.vn@evil.example/",
    "https://cantho.gov.vn:@evil.example/",
    "https://www.youtube.com@evil.example/@vtv24",
    "https://www.tiktok.com@evil.example/@cantho.gov",
    "https://admin@cantho.gov.vn/",
    "https://evil.example@www.facebook.com/" + PAGE,
    "https://www.facebook.com%20@evil.example/" + PAGE,
    "facebook.com@evil.example/" + PAGE,
    "www.facebook.com:443@evil.example/" + PAGE,
)

# --- ports ---------------------------------------------------------------------------------------------
add(
    "port",
    f"https://www.facebook.com:444/{PAGE}",
    f"https://www.facebook.com:80/{PAGE}",
    f"https://www.facebook.com:8443/{PAGE}",
    f"https://www.facebook.com:0/{PAGE}",
    f"https://www.facebook.com:4430/{PAGE}",
    f"https://www.facebook.com:1443/{PAGE}",
    f"https://zalo.me:8080/{ZALO_ID}",
    "https://cantho.gov.vn:8443/",
    f"facebook.com:8080/{PAGE}",
    "https://www.youtube.com:444/@vtv24",
    "https://www.tiktok.com:8443/@cantho.gov",
)

# --- IP hosts ------------------------------------------------------------------------------------------
add(
    "ip",
    f"https://127.0.0.1/{PAGE}",
    f"https://0x7f.1/{PAGE}",
    f"https://2130706433/{PAGE}",
    f"https://0177.0.0.1/{PAGE}",
    f"https://0x7f000001/{PAGE}",
    f"https://[::1]/{PAGE}",
    f"https://[::ffff:127.0.0.1]/{PAGE}",
    f"https://157.240.1.35/{PAGE}",
    f"https://157.240.0x1.35/{PAGE}",
    f"https://157.240.1.35./{PAGE}",
    f"https://0x9df00123/{PAGE}",
    f"https://[2a03:2880:f10c:83:face:b00c:0:25de]/{PAGE}",
    f"https://1.1/{ZALO_ID}",
    f"https://10.0.0.1:443/{PAGE}",
    f"https://%31%32%37.0.0.1/{PAGE}",
    f"157.240.1.35/{PAGE}",
    "https://203.162.0.1/",
)


# --- punycode / IDN ------------------------------------------------------------------------------------
def puny(host: str) -> str:
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode() for label in host.split(".")
    )


for idn in (
    "fаcebook.com",
    "www.fаcebook.com",
    "faceboоk.com",
    "zаlo.me",
    "yоutube.com",
    "tіktok.com",
    "cаntho.gov.vn",
    "chіnhphu.vn",
    "fácebook.com",
    "zalô.me",
):
    add("punycode-idn", f"https://{puny(idn)}/{PAGE}")
add("punycode-idn", "https://xn--80ak6aa92e.com/", "https://www.xn--facebook-.com/x", "https://a.xn--b/x")

# --- unicode confusables in the host (browsers map many of them to ASCII) --------------------------------
add(
    "unicode-confusable",
    f"https://fаcebook.com/{PAGE}",
    f"https://www.facebооk.com/{PAGE}",
    f"https://faceboοk.com/{PAGE}",
    f"https://ƒacebook.com/{PAGE}",
    f"https://ｆａｃｅｂｏｏｋ.com/{PAGE}",
    f"https://ｆacebook.com/{PAGE}",
    f"https://www.facebook．com/{PAGE}",
    f"https://www.facebook。com/{PAGE}",
    f"https://www.facebook｡com/{PAGE}",
    f"https://www.facebook．com．evil.example/{PAGE}",
    f"https://𝐟acebook.com/{PAGE}",
    f"https://facebooᴋ.com/{PAGE}",
    f"https://zаlo.me/{ZALO_ID}",
    f"https://ｚａｌｏ.me/{ZALO_ID}",
    f"https://zalo。me/{ZALO_ID}",
    "https://yоutube.com/@vtv24",
    "https://www.ｙoutube.com/@vtv24",
    "https://tіktok.com/@cantho.gov",
    "https://www.tiktok．com/@cantho.gov",
    "https://cantho.gоv.vn/",
    "https://cantho.gov．vn/",
    "https://cantho．gov．vn/",
    "https://ｃａｎｔｈｏ.gov.vn/",
    "https://chinhphu。vn/",
    "https://www.facebook.com/c\u043enghthongtin",
    f"https://www.facebook.com/{PAGE[:-1]}ο",
    "https://www.facebook.com/ｃｏｎｇthongtincantho",
    f"https://www.facebook.com/{PAGE}‧php",
    "https://www.youtube.com/@vtv２４",
    "https://www.tiktok.com/@cantho․gov",
    "https://zalo.me/３４６０４６１９５４４０１３５０８６１",
    "https://www.facebook.com/١٢٣٤٥٦٧٨٩",
)

# --- lookalike hosts -----------------------------------------------------------------------------------
for host in (
    "faceb00k.com",
    "facebok.com",
    "faceboook.com",
    "facebook.co",
    "facebook.com.vn",
    "fakebook.com",
    "facebook-com.com",
    "facebookcom.com",
    "wwwfacebook.com",
    "www-facebook.com",
    "facebook.com.evil.example",
    "www.facebook.com.evil.example",
    "www.facebook.com.cdn.evil.example",
    "facebook.com-evil.example",
    "m-facebook.com",
    "facebook-login.example",
    "face-book.com",
    "faccebook.com",
    "facebo0k.com",
    "fb.co",
    "fb.com.vn",
    "fb.me.evil.example",
    "facebook.vn",
    "facebook.net.vn",
    "web-facebook.com",
    "mfacebook.com",
    "facebooks.com",
    "notfacebook.com",
    "myfacebook.com",
    "facebook.evil.example",
):
    add("lookalike", f"https://{host}/{PAGE}")
for host in (
    "zalo.me.evil.example",
    "zalo-me.com",
    "zaloo.me",
    "za1o.me",
    "zalo.com.vn",
    "zalome.com",
    "zalo.me.vn",
    "www-zalo.me",
    "zal0.me",
    "zalo.mee",
):
    add("lookalike", f"https://{host}/{ZALO_ID}")
for host in (
    "youtube.co",
    "yotube.com",
    "youtube-com.com",
    "y0utube.com",
    "youtube.com.vn",
    "youtu.be.evil.example",
    "youtubee.com",
    "youtube.com.evil.example",
):
    add("lookalike", f"https://{host}/@vtv24")
for host in ("tiktok.co", "tiktokk.com", "tik-tok.com", "tiktok.com.vn", "tikt0k.com", "tiktok.com.evil.example"):
    add("lookalike", f"https://{host}/@cantho.gov")
for host in (
    "cantho.gov.vn.evil.example",
    "gov.vn.evil.example",
    "cantho-gov.vn",
    "canthogov.vn",
    "cantho.gov.vn-evil.example",
    "cantho.govvn.com",
    "cantho.gov.vm",
    "cantho.gov.com.vn",
    "cantho.gov.com",
    "cantho.gov.vn.com",
    "chinhphu.vn.evil.example",
    "chinhphu-vn.com",
    "baochinhphu.vn.com",
    "www.chinhphu.vn.evil.example",
    "gov.vn.com",
    "govvn.net",
    "cantho.g0v.vn",
    "cantho.gov-vn.com",
    "cantho.gov.vnn",
    "cantho.gov.v.n.example",
):
    add("lookalike", f"https://{host}/")
add(
    "lookalike",
    "https://www.facebook.com%2eevil.example/" + PAGE,
    "https://cantho.gov.vn%2eevil.example/",
    "https://faceb%6f%6fk.com.evil.example/" + PAGE,
    "https://www.facebook.com.evil.example./" + PAGE,
)

# --- unknown hosts that carry a platform URL in their path, query or fragment ---------------------------
add(
    "embedded-url",
    f"https://evil.example/https://www.facebook.com/{PAGE}",
    f"https://evil.example/www.facebook.com/{PAGE}",
    f"https://evil.example?https://www.facebook.com/{PAGE}",
    f"https://evil.example/?u=https://zalo.me/{ZALO_ID}",
    f"https://evil.example#https://www.facebook.com/{PAGE}",
    f"https://evil.example#@www.facebook.com/{PAGE}",
    f"https://evil.example?@www.facebook.com/{PAGE}",
    "https://evil.example/.gov.vn/",
    "https://evil.example#.gov.vn",
    f"https://translate.google.com/translate?u=https://www.facebook.com/{PAGE}",
    f"https://www.google.com/url?q=https://www.facebook.com/{PAGE}",
    f"https://web.archive.org/web/2024/https://www.facebook.com/{PAGE}",
)

# --- shorteners and platform service hosts (not pages) --------------------------------------------------
add(
    "shortener-service",
    f"https://l.facebook.com/l.php?u={EVIL_Q}&h=AT0",
    f"https://lm.facebook.com/l.php?u={EVIL_Q}",
    f"https://fb.me/{PAGE}",
    f"https://m.me/{PAGE}",
    "https://fb.watch/abc123/",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://vt.tiktok.com/ZSabc123/",
    "https://vm.tiktok.com/ZMabc123/",
    f"https://oa.zalo.me/{ZALO_ID}",
    "https://chat.zalo.me/",
    f"https://id.zalo.me/account?continue={EVIL_Q}",
    f"https://business.facebook.com/{PAGE}",
    "https://developers.facebook.com/apps",
    f"https://music.youtube.com/channel/{CHANNEL}",
    "https://studio.youtube.com/",
    f"https://free.facebook.com/{PAGE}",
    f"https://touch.facebook.com/{PAGE}",
    f"https://apps.facebook.com/{PAGE}",
    f"https://upload.facebook.com/{PAGE}",
    "https://kids.youtube.com/@vtv24",
    "https://ads.tiktok.com/@cantho.gov",
    "https://shop.tiktok.com/@cantho.gov",
    f"https://sp.zalo.me/{ZALO_ID}",
    "https://bit.ly/abc",
    "https://tinyurl.com/cantho",
    "https://goo.gl/abc",
    "https://t.co/abc",
    "https://shorturl.at/abc",
    "https://rebrand.ly/cantho",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    f"https://lm.facebook.com/{PAGE}",
    f"https://l.facebook.com/{PAGE}",
    f"https://x.facebook.com/{PAGE}",
    f"https://www.m.facebook.com/{PAGE}",
    f"https://api.zalo.me/{ZALO_ID}",
)

# --- Facebook redirectors, login and OAuth ---------------------------------------------------------------
add(
    "redirector",
    f"{FB}/l.php?u={EVIL_Q}",
    f"{FB}/l.php?u={EVIL}",
    f"{FB}/L.php?u={EVIL_Q}",
    f"{FB}/L.PHP?u={EVIL_Q}",
    f"https://m.facebook.com/l.php?u={EVIL_Q}",
    f"https://facebook.com/l.php?u={EVIL_Q}",
    f"https://fb.com/l.php?u={EVIL_Q}",
    f"https://mbasic.facebook.com/l.php?u={EVIL_Q}",
    f"{FB}/l.php/?u={EVIL_Q}",
    f"{FB}/l.php;x?u={EVIL_Q}",
    f"{FB}/l.php%3Fu={EVIL_Q}",
    f"{FB}/%6c.php?u={EVIL_Q}",
    f"{FB}/%6C%2E%70%68%70?u={EVIL_Q}",
    f"{FB}/l%2ephp?u={EVIL_Q}",
    f"{FB}/l.ph%70?u={EVIL_Q}",
    f"{FB}/flx/warn/?u={EVIL_Q}",
    f"{FB}/r.php?u={EVIL_Q}",
    f"{FB}/logout.php?next={EVIL_Q}",
    f"{FB}/checkpoint/?next={EVIL_Q}",
    f"{FB}/index.php?next={EVIL_Q}",
    f"{FB}/n/?{PAGE}",
    f"{FB}/ajax/share?href={EVIL_Q}",
    f"{FB}/?next={EVIL_Q}",
    f"facebook.com/l.php?u={EVIL_Q}",
    f"{FB}/recover/initiate/?next={EVIL_Q}",
    f"{FB}/confirmemail.php?next={EVIL_Q}",
    f"{FB}/l.php?u=https://evil.example&h=AT0#https://www.facebook.com/{PAGE}",
)
add(
    "oauth-login",
    f"{FB}/login/?next={EVIL_Q}",
    f"{FB}/login.php?next={EVIL_Q}",
    f"{FB}/Login",
    f"{FB}/LOGIN/?next={EVIL_Q}",
    f"{FB}/v19.0/dialog/oauth?client_id=1&redirect_uri={EVIL_Q}",
    f"{FB}/v2.12/dialog/oauth?redirect_uri={EVIL_Q}",
    f"{FB}/dialog/oauth?client_id=1&redirect_uri={EVIL_Q}",
    f"{FB}/v19.0",
    f"{FB}/v3.2/",
    f"{FB}/logout",
    f"{FB}/%4c%6f%67%69%6e",
    f"{FB}/logi%6e?next={EVIL_Q}",
    "https://www.youtube.com/signin?next=%2Fredirect",
    "https://www.youtube.com/logout",
    f"https://www.tiktok.com/login?redirect_url={EVIL_Q}",
    "https://www.tiktok.com/logout",
    f"https://www.tiktok.com/auth/authorize?redirect_uri={EVIL_Q}",
    f"{FB}/settings",
    f"{FB}/help/contact",
)

# --- Facebook non-page paths -------------------------------------------------------------------------------
add(
    "share",
    f"{FB}/sharer.php?u={EVIL_Q}",
    f"{FB}/sharer/sharer.php?u={EVIL_Q}",
    f"{FB}/Sharer.php?u={EVIL_Q}",
    f"{FB}/share/abc123/",
    f"{FB}/share/p/abc123/",
    f"{FB}/dialog/share?href={EVIL_Q}",
    f"{FB}/dialog/feed?link={EVIL_Q}",
    f"{FB}/plugins/page.php?href={EVIL_Q}",
    f"{FB}/plugins/post.php?href=x",
    "https://www.tiktok.com/share/video/7234567890",
    "https://www.tiktok.com/share/user/6812345678",
)
add(
    "media-reel-story",
    f"{FB}/reel/1234567890",
    f"{FB}/reels/1234567890",
    f"{FB}/stories/123/456",
    f"{FB}/watch/?v=123",
    f"{FB}/watch/live/?v=1",
    f"{FB}/watch",
    f"{FB}/videos/123456",
    f"{FB}/photos/a.1/2/",
    f"{FB}/media/set/?set=a.123",
    f"{FB}/photo.php?fbid=123",
    f"{FB}/photo/?fbid=123",
    f"{FB}/video.php?v=123",
    f"{FB}/permalink.php?story_fbid=1&id=2",
    f"{FB}/story.php?story_fbid=1&id=2",
    f"{FB}/gaming/{PAGE}",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://www.youtube.com/playlist?list=PL123",
    "https://www.youtube.com/live/dQw4w9WgXcQ",
    "https://www.youtube.com/v/dQw4w9WgXcQ",
    "https://www.youtube.com/clip/Ugkx123",
    "https://www.tiktok.com/embed/v2/7234567890",
    "https://www.tiktok.com/t/ZSabc123/",
    "https://www.tiktok.com/music/x-723456",
    "https://www.tiktok.com/video/7234567890",
)
add(
    "search",
    f"{FB}/search/top?q={PAGE}",
    f"{FB}/hashtag/cantho",
    f"{FB}/groups/cantho",
    f"{FB}/events/123",
    f"{FB}/marketplace/item/123",
    f"{FB}/pages/?category=top",
    f"{FB}/pg/{PAGE}",
    f"{FB}/home",
    f"{FB}/home.php",
    f"{FB}/notifications",
    f"{FB}/friends",
    f"{FB}/bookmarks",
    f"{FB}/messages/t/{PAGE}",
    f"{FB}/business",
    "https://www.youtube.com/results?search_query=cantho",
    "https://www.youtube.com/feed/subscriptions",
    "https://www.youtube.com/premium",
    "https://www.tiktok.com/foryou",
    "https://www.tiktok.com/discover/cantho",
    "https://www.tiktok.com/tag/cantho",
    "https://www.tiktok.com/search?q=cantho",
)
add(
    "no-page",
    f"{FB}",
    f"{FB}/",
    f"{FB}/.",
    f"{FB}/%2e",
    f"{FB}/..",
    f"{FB}/abcd",
    f"{FB}/" + "a" * 51,
    f"{FB}/.{PAGE}",
    f"{FB}/{PAGE}.",
    f"{FB}/cong..thongtin",
    f"{FB}/cong_thong_tin",
    f"{FB}/cong-thong-tin",
    f"{FB}/{PAGE}.php",
    f"{FB}/profile.php",
    f"{FB}/profile.php?id=",
    f"{FB}/profile.php?id=abc",
    f"{FB}/profile.php?id=123abc",
    f"{FB}/profile.php?id=-1",
    f"{FB}/profile.php?id=0x1F",
    f"{FB}/profile.php?id=1e5",
    f"{FB}/profile.php?u=123",
    f"{FB}/p/UBND-Phuong",
    f"{FB}/p/UBND-Phuong-abc/",
    f"{FB}/people/UBND-Phuong",
    f"{FB}/people/UBND-Phuong/abc/",
    f"{FB}/pages/UBND-Phuong",
    f"{FB}/pages/create",
    f"{FB}/{PAGE}/unknowntab",
    f"{FB}/{PAGE}/l.php",
    "https://zalo.me/",
    "https://zalo.me/abc",
    "https://zalo.me/1234",
    "https://zalo.me/" + "1" * 26,
    f"https://zalo.me/{ZALO_ID}/abc",
    "https://zalo.me/123456/789",
    "https://zalo.me/s/abc",
    "https://zalo.me/g/abcdef",
    "https://zalo.me/pc",
    f"https://zalo.me/+{ZALO_ID}",
    "https://zalo.me/-123456",
    "https://zalo.me/123456.",
    "https://zalo.me/0x123456",
    "https://www.youtube.com/",
    "https://www.youtube.com/@",
    "https://www.youtube.com/@ab",
    "https://www.youtube.com/@" + "a" * 31,
    "https://www.youtube.com/@x!y",
    "https://www.youtube.com/channel/UCshort",
    "https://www.youtube.com/channel/UC" + "a" * 21,
    "https://www.youtube.com/channel/UC" + "a" * 23,
    "https://www.youtube.com/channel/XX" + "a" * 22,
    "https://www.youtube.com/c/",
    "https://www.youtube.com/user/",
    "https://www.youtube.com/@vtv24/redirect?q=https://evil.example",
    "https://www.tiktok.com/",
    "https://www.tiktok.com/@",
    "https://www.tiktok.com/@a",
    "https://www.tiktok.com/@" + "a" * 25,
    "https://www.tiktok.com/@can-tho",
    "https://www.tiktok.com/@cantho.gov/video/abc",
    "https://www.tiktok.com/@cantho.gov/video/",
    "https://www.tiktok.com/live",
    "https://www.tiktok.com/@cantho.gov/link/v2?target=x",
)

# --- non-ASCII digits (Python's str.isdigit() accepts them) -------------------------------------------------
add(
    "non-ascii-digits",
    f"{FB}/profile.php?id=١٢٣",
    f"{FB}/profile.php?id=１２３",
    f"{FB}/profile.php?id=²³⁴",
    f"{FB}/profile.php?id=𝟏𝟐𝟑",
    f"{FB}/profile.php?id=०१२३",
    f"{FB}/profile.php?id=%D9%A1%D9%A2%D9%A3",
    f"{FB}/profile.php?id=%EF%BC%91%EF%BC%92",
    f"{FB}/profile.php?id=%C2%B2%C2%B3",
    "https://zalo.me/¹²³⁴⁵⁶",
    "https://zalo.me/١٢٣٤٥٦٧",
    "https://zalo.me/%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95",
    f"{FB}/１２３４５６７",
    f"{FB}/p/UBND-١٢٣/",
    f"{FB}/people/UBND/１２３/",
    f"{FB}/pages/UBND/²³⁴",
)

# --- query tricks --------------------------------------------------------------------------------------------
add(
    "query-trick",
    f"{FB}/profile.php?id=123&id=456",
    f"{FB}/profile.php?id=123%26id=456",
    f"{FB}/profile.php?id[]=123",
    f"{FB}/profile.php?id=123?next={EVIL_Q}",
    f"{FB}/profile.php?id=123;456",
    f"{FB}/profile.php?id=%2B123",
    f"{FB}/profile.php?id=+123",
    f"{FB}/profile.php?%69d=123&id=456",
    f"{FB}/?id={PAGE}",
    f"{FB}/?{PAGE}",
    f"https://zalo.me/?{ZALO_ID}",
    f"https://zalo.me/?id={ZALO_ID}",
    "https://www.youtube.com/?@vtv24",
    "https://www.tiktok.com/?@cantho.gov",
    f"{FB}/profile.php?id=１２３&id=123",
)
add(
    "fragment-trick",
    f"{FB}#{PAGE}",
    f"{FB}/#!/{PAGE}",
    f"{FB}/#/{PAGE}",
    f"https://zalo.me/#{ZALO_ID}",
    "https://www.youtube.com/#@vtv24",
    "https://www.tiktok.com/#/@cantho.gov",
    "https://www.facebook.com#@evil.example",
    f"{FB}/%23{PAGE}",
    f"{FB}/{PAGE}%23",
    f"https://zalo.me/{ZALO_ID}%23",
)

# --- dot segments in every encoding -------------------------------------------------------------------------
for dots in ("..", "%2e%2e", "%2E%2E", "%2E%2e", "%2e%2E", ".%2e", ".%2E", "%2e.", "%2E."):
    add("dot-segment", f"{FB}/{PAGE}/{dots}/l.php?u={EVIL_Q}")
for dots in ("..", "%2e%2e", ".%2E", "%2E."):
    add(
        "dot-segment",
        f"{FB}/{PAGE}/{dots}",
        f"{FB}/{PAGE}/about/{dots}/{dots}/login/?next={EVIL_Q}",
        f"https://www.youtube.com/@vtv24/{dots}/redirect?q={EVIL_Q}",
        f"https://www.tiktok.com/@cantho.gov/{dots}/link/v2?target={EVIL_Q}",
        f"https://zalo.me/{ZALO_ID}/{dots}",
    )
add(
    "dot-segment",
    f"{FB}/./l.php?u={EVIL_Q}",
    f"{FB}/%2e/l.php?u={EVIL_Q}",
    f"{FB}/%2E/%2E/l.php?u={EVIL_Q}",
    f"{FB}/%2e%2e/%2e%2e/l.php?u={EVIL_Q}",
    f"{FB}/x/%2e%2e/l.php?u={EVIL_Q}",
    f"{FB}/{PAGE};/../l.php?u={EVIL_Q}",
    f"{FB}/{PAGE}/posts/1/../../../sharer.php?u={EVIL_Q}",
    f"{FB}/people/UBND/123/../../../l.php?u={EVIL_Q}",
    f"{FB}/p/UBND-123/%2e%2e/%2e%2e/login",
    f"{FB}/profile.php/%2e%2e/l.php?u={EVIL_Q}",
    "https://www.youtube.com/@vtv24/videos/../../watch?v=dQw4w9WgXcQ",
    f"https://www.youtube.com/channel/{CHANNEL}/%2e%2e/%2e%2e/redirect?q={EVIL_Q}",
    "https://www.youtube.com/c/vtv24/%2e%2e/%2e%2e/results?search_query=x",
    f"https://m.youtube.com/@vtv24/.%2E/redirect?q={EVIL_Q}",
    f"https://www.tiktok.com/@cantho.gov/video/7234567890/../../../link/v2?target={EVIL_Q}",
    "https://www.tiktok.com/@cantho.gov/%2E%2E/share/video/1",
    f"https://zalo.me/{ZALO_ID}/%2e%2e/%2e%2e/abc",
    f"https://www.youtube.com/@vtv24/%252e%252e/redirect?q={EVIL_Q}",
)

# --- percent-encoded separators and bytes ---------------------------------------------------------------------
add(
    "percent-encoding",
    f"{FB}/%2F%2Fevil.example",
    f"{FB}/%2fevil.example",
    f"{FB}/{PAGE}%2F",
    f"{FB}/{PAGE}%2F..%2Fl.php?u={EVIL_Q}",
    f"{FB}/{PAGE}%2f%2e%2e%2fl.php",
    f"{FB}/{PAGE}/..%2fl.php",
    f"{FB}/{PAGE}%00",
    f"{FB}/{PAGE}%20",
    f"{FB}/{PAGE}%0a",
    f"{FB}/{PAGE}%09",
    f"{FB}/%E2%80%AE{PAGE}",
    f"{FB}/cong%C3%A9",
    f"{FB}/{PAGE}%3Fx=1",
    f"{FB}/%252e%252e/l.php",
    f"{FB}/{PAGE}%2",
    f"{FB}/{PAGE}%zz",
    f"{FB}/%",
    f"{FB}/{PAGE}%5C..%5Cl.php",
    f"{FB}/{PAGE}%3B",
    f"{FB}/%40{PAGE}",
    f"{FB}/{PAGE}%E2%80%8B",
    f"{FB}/%C0%AE%C0%AE/l.php",
    "https://zalo.me/%33%34%36%30%2F",
    f"https://zalo.me/{ZALO_ID}%00",
    f"https://zalo.me/{ZALO_ID}%2F..",
    "https://www.youtube.com/@vtv24%2F..%2Fredirect",
    "https://www.youtube.com/%40vtv24%00",
    f"https://www.youtube.com/channel/{CHANNEL}%2F",
    "https://www.tiktok.com/@cantho.gov%2F..%2Flink%2Fv2",
    "https://www.tiktok.com/@cantho%00.gov",
    "https://www.tiktok.com/@cantho.gov%3F",
)

# --- empty path segments ----------------------------------------------------------------------------------
add(
    "double-slash",
    f"{FB}//evil.example",
    f"{FB}//evil.example/{PAGE}",
    f"{FB}//{PAGE}",
    f"{FB}/{PAGE}//",
    f"{FB}///{PAGE}",
    f"https://zalo.me//{ZALO_ID}",
    f"https://zalo.me/{ZALO_ID}//",
    "https://www.youtube.com//@vtv24",
    "https://www.tiktok.com//@cantho.gov",
    f"{FB}//l.php?u={EVIL_Q}",
    f"{FB}/{PAGE}//..//l.php",
)

# --- overlong hosts ---------------------------------------------------------------------------------------
add(
    "overlong-host",
    "https://" + "a" * 64 + ".gov.vn/",
    "https://" + ("a" * 60 + ".") * 5 + "gov.vn/",
    "https://www." + "b" * 64 + ".facebook.com/x",
    "https://" + ("c" * 50 + ".") * 5 + "cantho.gov.vn/",
    "https://" + "x." * 127 + "gov.vn/",
)


def escape(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif cat[0] in "CZ" and ch != " ":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        elif ch == " ":
            out.append("\\x20")
        else:
            out.append(ch)
    return "".join(out)


# --- accepted: <link> <canonical> --------------------------------------------------------------------------
C = f"{FB}/{PAGE}"
B = f"{FB}/cttdtbentre"
Z = f"https://zalo.me/{ZALO_ID}"
YT = "https://www.youtube.com/@vtv24"
TT = "https://www.tiktok.com/@cantho.gov"
accepted: list[tuple[str, str]] = [
    (C, C),
    ("facebook.com/cttdtbentre", B),
    (Z, Z),
    (f"https://facebook.com/{PAGE}", C),
    (f"https://m.facebook.com/{PAGE}", C),
    (f"https://web.facebook.com/{PAGE}", C),
    (f"https://mbasic.facebook.com/{PAGE}", C),
    (f"https://fb.com/{PAGE}", C),
    (f"https://www.fb.com/{PAGE}", C),
    (f"www.facebook.com/{PAGE}", C),
    (f"m.facebook.com/{PAGE}/", C),
    (f"{FB}/{PAGE}/", C),
    (f"{FB}/CongThongTinCanTho", C),
    ("https://m.facebook.com/CttdtBenTre?ref=share", B),
    ("https://fb.com/cttdtbentre#top", B),
    ("https://FACEBOOK.COM./cttdtbentre", B),
    ("HTTPS://www.facebook.com:443/cttdtbentre", B),
    ("facebook.com:443/cttdtbentre", B),
    (f"https://WWW.FACEBOOK.COM/{PAGE}", C),
    (f"https://www.facebook.com./{PAGE}", C),
    (f"{FB}/{PAGE}?mibextid=ZbWKwL", C),
    (f"{FB}/{PAGE}?__tn__=%3C&fref=ts", C),
    (f"{FB}/{PAGE}?locale=vi_VN#", C),
    (f"{FB}/{PAGE}#posts", C),
    (f"{FB}/{PAGE}/about", C),
    (f"{FB}/{PAGE}/about/", C),
    (f"{FB}/{PAGE}/posts/123456789", C),
    (f"{FB}/{PAGE}/photos", C),
    (f"{FB}/{PAGE}/videos/123456789", C),
    (f"{FB}/{PAGE}/reels", C),
    (f"{FB}/{PAGE}/events", C),
    (f"{FB}/{PAGE}/community", C),
    (f"{FB}/{PAGE}/reviews", C),
    (f"{FB}/{PAGE}/mentions", C),
    (f"{FB}/{PAGE}/followers", C),
    (f"{FB}/{PAGE}/live_videos", C),
    (f"{FB}/%63ongthongtincantho", C),
    (f"{FB}/congthongtincanth%6F", C),
    (f"{FB}/%43ONGTHONGTINCANTHO", C),
    (f"{FB}/login/../{PAGE}", C),
    (f"{FB}/./{PAGE}", C),
    (f"{FB}/%2e/{PAGE}", C),
    (f"{FB}/x/%2E%2E/{PAGE}", C),
    (f"https://%77%77%77.facebook.com/{PAGE}", C),
    (f"https://www.faceb%6Fok.com/{PAGE}", C),
    (f"{FB}/Cong.Thong.Tin.CanTho", f"{FB}/cong.thong.tin.cantho"),
    (f"{FB}/abcde", f"{FB}/abcde"),
    (f"{FB}/100064123456789", f"{FB}/100064123456789"),
    ("https://m.facebook.com/100064123456789/", f"{FB}/100064123456789"),
    (f"{FB}/profile.php?id=100064123456789", f"{FB}/profile.php?id=100064123456789"),
    ("https://m.facebook.com/profile.php?id=100064123456789#x", f"{FB}/profile.php?id=100064123456789"),
    (f"{FB}/p/UBND-Phuong-An-Khanh-100064123456789/", f"{FB}/p/UBND-Phuong-An-Khanh-100064123456789/"),
    (f"{FB}/p/UBND-Phuong-An-Khanh-100064123456789", f"{FB}/p/UBND-Phuong-An-Khanh-100064123456789/"),
    (f"{FB}/p/Trung-T%c3%a2m-100064123456789/", f"{FB}/p/Trung-T%C3%A2m-100064123456789/"),
    (f"{FB}/people/UBND-Phuong-An-Khanh/100064123456789/", f"{FB}/people/UBND-Phuong-An-Khanh/100064123456789/"),
    (f"{FB}/people/UBND-Phuong-An-Khanh/100064123456789", f"{FB}/people/UBND-Phuong-An-Khanh/100064123456789/"),
    (f"{FB}/pages/UBND-Phuong/123456789", f"{FB}/pages/UBND-Phuong/123456789/"),
    (f"zalo.me/{ZALO_ID}/", Z),
    (f"https://www.zalo.me/{ZALO_ID}?src=qr", Z),
    (f"https://ZALO.ME/{ZALO_ID}", Z),
    (f"https://zalo.me./{ZALO_ID}", Z),
    (f"https://zalo.me:443/{ZALO_ID}", Z),
    (f"https://zalo.me/{ZALO_ID}#chat", Z),
    ("https://zalo.me/%33460461954401350861", Z),
    ("https://zalo.me/12345", "https://zalo.me/12345"),
    ("https://zalo.me/" + "9" * 25, "https://zalo.me/" + "9" * 25),
    (f"https://zalo.me/abc/../{ZALO_ID}", Z),
    ("https://www.youtube.com/@VTV24", YT),
    ("youtube.com/@vtv24", YT),
    ("https://m.youtube.com/@vtv24", YT),
    ("https://www.youtube.com/@vtv24/", YT),
    ("https://www.youtube.com/@vtv24/videos", YT),
    ("https://www.youtube.com/@vtv24/featured", YT),
    ("https://www.youtube.com/@vtv24/streams", YT),
    ("https://www.youtube.com/@vtv24/shorts", YT),
    ("https://www.youtube.com/@vtv24/about", YT),
    ("https://www.youtube.com/@vtv24?si=abc123", YT),
    ("https://www.youtube.com/@v%74v24", YT),
    ("https://YOUTUBE.COM./@vtv24", YT),
    (f"https://www.youtube.com/channel/{CHANNEL}", f"https://www.youtube.com/channel/{CHANNEL}"),
    (f"https://m.youtube.com/channel/{CHANNEL}/videos", f"https://www.youtube.com/channel/{CHANNEL}"),
    ("https://www.youtube.com/c/VTV24", "https://www.youtube.com/c/vtv24"),
    ("https://www.youtube.com/user/VTV24news/playlists", "https://www.youtube.com/user/vtv24news"),
    ("https://www.youtube.com/@thvl.vinhlong-1_", "https://www.youtube.com/@thvl.vinhlong-1_"),
    ("https://www.tiktok.com/@cantho.gov", TT),
    ("https://www.tiktok.com/@Cantho.Gov", TT),
    ("tiktok.com/@cantho.gov", TT),
    ("https://m.tiktok.com/@cantho.gov/", TT),
    ("https://www.tiktok.com/@cantho.gov/video/7234567890123456789", TT),
    ("https://www.tiktok.com/@cantho.gov/photo/7234567890123456789", TT),
    ("https://www.tiktok.com/@cantho.gov?lang=vi-VN", TT),
    ("https://www.tiktok.com/@cantho.gov?_t=8abc&_r=1", TT),
    ("https://www.tiktok.com/@c%61ntho.gov", TT),
    ("https://www.tiktok.com:443/@cantho_gov", "https://www.tiktok.com/@cantho_gov"),
    ("https://cantho.gov.vn/", HOMEPAGE),
    ("https://cantho.gov.vn", HOMEPAGE),
    ("cantho.gov.vn", HOMEPAGE),
    ("https://CANTHO.GOV.VN/", HOMEPAGE),
    ("https://cantho.gov.vn./", HOMEPAGE),
    ("https://cantho.gov.vn:443/", HOMEPAGE),
    ("https://cantho.gov.vn/.", HOMEPAGE),
    ("https://cantho.gov.vn/?utm_source=zalo", HOMEPAGE),
    ("https://cantho.gov.vn/#top", HOMEPAGE),
    ("https://www.bentre.gov.vn/Pages/home.aspx", "https://www.bentre.gov.vn/Pages/home.aspx"),
    ("https://www.cantho.gov.vn/wps/portal/", "https://www.cantho.gov.vn/wps/portal"),
    ("https://cantho.gov.vn/a/../b", "https://cantho.gov.vn/b"),
    ("https://cantho.gov.vn/a/%2e%2e/b", "https://cantho.gov.vn/b"),
    ("https://cantho.gov.vn/%7Etin-tuc", "https://cantho.gov.vn/~tin-tuc"),
    ("https://cantho.gov.vn/tin%2dtuc", "https://cantho.gov.vn/tin-tuc"),
    ("https://cantho.gov.vn/tin%2ftuc", "https://cantho.gov.vn/tin%2Ftuc"),
    ("https://cantho.gov.vn/tin-tức", "https://cantho.gov.vn/tin-t%E1%BB%A9c"),
    ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"),
    ("https://mic.gov.vn", "https://mic.gov.vn"),
    ("https://chinhphu.vn/", "https://chinhphu.vn"),
    ("https://baochinhphu.vn/", "https://baochinhphu.vn"),
    ("https://www.chinhphu.vn", "https://www.chinhphu.vn"),
    ("https://hochiminhcity.gov.vn/", "https://hochiminhcity.gov.vn"),
    ("https://sotttt.cantho.gov.vn/", "https://sotttt.cantho.gov.vn"),
]


def main() -> None:
    seen: set[str] = set()
    lines = [
        "# Hostile links: none may be accepted as an official page. <link>\\t<category>; see make_link_corpus.py"
    ]
    for link, category in hostile:
        if link in seen:
            raise SystemExit(f"duplicate hostile link: {link!r}")
        seen.add(link)
        lines.append(f"{escape(link)}\t{category}")
    (HERE / "hostile_links.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["# Benign variants and the canonical each must give. <link>\\t<canonical>; see make_link_corpus.py"]
    for link, canonical in accepted:
        lines.append(f"{escape(link)}\t{canonical}")
    (HERE / "accepted_links.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(hostile)} hostile, {len(accepted)} accepted")


if __name__ == "__main__":
    main()
