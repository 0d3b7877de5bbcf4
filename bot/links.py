"""Link rules: which page a URL opens, its one canonical form, and why we refuse the rest.

A wrong "official" link is the worst bug this product can have, so:

1. The URL is parsed by a WHATWG URL parser (ada-url, the parser Node.js uses), so the host and the path are
   the ones a browser ends up with: `%2e%2e` and `.%2E` resolve as `..`, `faceb%6Fok.com` is facebook.com,
   `:443` is no port. Hand-written parsing is where the earlier "official for another page" bugs came from.
2. Escapes of unreserved characters are then decoded (`%63` is `c` to every server) and other escapes
   upper-cased, which gives the path the platform's server sees.
3. Only the *shapes* each platform uses for a page or account are accepted (an allow-list per platform);
   redirectors, login, OAuth, share, media, search and anything unknown are refused with a reason.

Every canonical form names exactly one page, is itself accepted, and maps to itself. `LinkError.code` picks
the sentence shown to the user (i18n `link_<code>`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs

import ada_url

from bot.text import edit_distance

MAX_URL_LENGTH = 512
MAX_HOST_LENGTH = 253  # DNS: 253 characters in all, 63 per label
MAX_LABEL_LENGTH = 63


class Platform:
    FACEBOOK = "facebook"
    ZALO = "zalo"
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    PORTAL = "portal"


PLATFORM_LABELS = {
    Platform.FACEBOOK: "Facebook",
    Platform.ZALO: "Zalo OA",
    Platform.YOUTUBE: "YouTube",
    Platform.TIKTOK: "TikTok",
    Platform.PORTAL: "Cổng TTĐT",
}

# Hosts that serve a platform's pages. Everything else on a platform's domain is one of its services.
_PAGE_HOSTS = {
    "facebook.com": Platform.FACEBOOK,
    "www.facebook.com": Platform.FACEBOOK,
    "m.facebook.com": Platform.FACEBOOK,
    "web.facebook.com": Platform.FACEBOOK,
    "mbasic.facebook.com": Platform.FACEBOOK,
    "fb.com": Platform.FACEBOOK,
    "www.fb.com": Platform.FACEBOOK,
    "zalo.me": Platform.ZALO,
    "www.zalo.me": Platform.ZALO,
    "youtube.com": Platform.YOUTUBE,
    "www.youtube.com": Platform.YOUTUBE,
    "m.youtube.com": Platform.YOUTUBE,
    "tiktok.com": Platform.TIKTOK,
    "www.tiktok.com": Platform.TIKTOK,
    "m.tiktok.com": Platform.TIKTOK,
}
# The platforms' own domains (short links, redirectors, apps, CDNs): real hosts, never "fakes", never pages.
_PLATFORM_DOMAINS = {
    "facebook.com": "Facebook", "fb.com": "Facebook", "fb.me": "Facebook", "m.me": "Facebook",
    "fb.watch": "Facebook", "fbcdn.net": "Facebook", "facebook.net": "Facebook", "messenger.com": "Facebook",
    "zalo.me": "Zalo", "zaloapp.com": "Zalo", "zadn.vn": "Zalo",
    "youtube.com": "YouTube", "youtu.be": "YouTube", "youtube-nocookie.com": "YouTube", "ytimg.com": "YouTube",
    "tiktok.com": "TikTok", "tiktokcdn.com": "TikTok", "tiktokv.com": "TikTok",
}
# Government domains outside .gov.vn (the Government's portal and newspaper), with their subdomains.
_GOVERNMENT_DOMAINS = ("gov.vn", "chinhphu.vn", "baochinhphu.vn")
# Hosts whose near-misses are look-alikes ("faceb00k.com" is two edits from facebook.com).
_IMITATED = ("facebook.com", "fb.com", "zalo.me", "youtube.com", "tiktok.com", "chinhphu.vn", "baochinhphu.vn")

# Brand words that, found in a host we do not know, mean someone is imitating a platform.
_BRANDS = {"facebook": "facebook.com", "zalo": "zalo.me", "youtube": "youtube.com", "tiktok": "tiktok.com",
           "govvn": "gov.vn", "chinhphu": "chinhphu.vn"}
# Controls, format characters (zero-width, bidi, tags) and every kind of space or line separator.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn"})
_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")

# --- Facebook ---------------------------------------------------------------------------------------------
# Usernames: 5–50 of a-z, 0-9 and single inner periods (Facebook's own rule); matched lower-cased.
_FB_USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|\.(?=[a-z0-9])){4,49}$")
_FB_PAGE_ID = re.compile(r"^[0-9]{5,20}$")
# A page's name in /p/<Name>-<id>/ and /people/<Name>/<id>/: unreserved characters and escaped non-ASCII
# (UTF-8 bytes %80-%FF) only, so no escaped "/", "?" or "#" can become a path once decoded.
_FB_NAME_ID = re.compile(r"^(?:[A-Za-z0-9._~-]|%[89A-F][0-9A-F])+-([0-9]{5,20})$")
_FB_NAME = re.compile(r"^(?:[A-Za-z0-9._~-]|%[89A-F][0-9A-F]){1,200}$")
_API_VERSION = re.compile(r"^v[0-9]+(\.[0-9]+)?$")
# Facebook's own paths that have a username's shape. The shape rule is the first barrier; this is the second.
_FB_SYSTEM = frozenset("""
    about account accounts activity adsmanager advertising archive audience badges birthdays bookmarks
    browser business campaign careers checkpoint climatescienceinfo comment comments commerce community
    composer confirm confirmemail contact cookies coronavirusinfo creators crisisresponse dating developer
    developers device dialog directory discover donate editprofile emotionalhealth events explore facebook
    feeds findfriends followers following friends fundraisers gaming games groups hashtag helpcenter
    instagram insights invite jobs latest legal likes lists live login logout marketplace media memories
    mentions messages messenger mobile moments nearby news notes notifications offers onthisday pages
    payments people permalink photo photos places plugins policies policy privacy profile public recover
    reels reg register reset safety saved search security settings share sharer shops signup stories
    story support terms tools unsupportedbrowser video videos votinginformationcenter watch weather
    whatsapp workplace
""".split())  # noqa: SIM905 (a word list reads better as words)
_FB_TABS = frozenset({"about", "posts", "photos", "videos", "reels", "events", "community", "reviews",
                      "mentions", "followers", "live_videos", "photos_by", "videos_by"})

# --- YouTube / TikTok / Zalo ------------------------------------------------------------------------------
_YT_HANDLE = re.compile(r"^@[A-Za-z0-9._-]{3,30}$")
_YT_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_YT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_YT_TABS = frozenset({"videos", "featured", "streams", "shorts", "playlists", "community", "about", "live",
                      "podcasts", "posts", "releases", "courses", "store"})
_TT_HANDLE = re.compile(r"^@[A-Za-z0-9._]{2,24}$")
_TT_ITEM = frozenset({"video", "photo"})
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: str.isdigit() is true for "²" and "١"
_ZALO_ID = re.compile(r"^[0-9]{5,25}$")
_PORTAL_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2})+$")


@dataclass(frozen=True)
class Link:
    platform: str
    url: str  # canonical


class LinkError(ValueError):
    """A URL we refuse. `code` names the reason (i18n key), `detail` fills it in (e.g. the imitated host)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def looks_like_url(text: str) -> bool:
    """Whether a bare message is meant as a link (to verify it) rather than a question."""
    t = text.strip().lower()
    if " " in t:
        return False
    return t.startswith(("http://", "https://", "www.")) or bool(re.match(r"^[a-z0-9.-]+\.[a-z]{2,}/", t))


def is_government_host(host: str) -> bool:
    """Hosts under gov.vn (registered only to state bodies), chinhphu.vn and baochinhphu.vn."""
    host = host.lower().removesuffix(".")
    return host in _GOVERNMENT_DOMAINS or any(host.endswith("." + d) for d in _GOVERNMENT_DOMAINS)


def parse_link(text: str) -> Link:
    """The canonical Link for `text`, or LinkError with the reason it is refused."""
    raw = _screen(text)
    try:
        url = ada_url.parse_url(raw)
    except ValueError as exc:
        raise LinkError("malformed") from exc
    if url["username"] or url["password"] or "@" in _authority(raw):
        raise LinkError("userinfo")
    if url["port"]:
        raise LinkError("port")
    if url["host_type"] != ada_url.HostType.DEFAULT:
        raise LinkError("ip_host")
    host = url["hostname"].removesuffix(".")
    _check_host_shape(host)
    platform = _platform_of(host)
    try:
        canonical = _CANONICALISERS[platform](host, _segments(_server_path(url["pathname"])), url["search"])
    except LinkError as exc:
        if platform != Platform.PORTAL and not raw.isascii():  # a look-alike letter in a username, say
            raise LinkError("non_ascii") from exc
        raise
    return Link(platform, canonical)


def _screen(text: str) -> str:
    """Refusals that need no parsing; returns the text with its scheme (https is implied when absent)."""
    # Spaces and line breaks around a pasted link are trimmed (so would a browser); a no-break space is part of
    # the URL to a browser, and other controls are never innocent: both are refused below.
    raw = text.strip(" \t\r\n")
    if not raw:
        raise LinkError("empty")
    if len(raw) > MAX_URL_LENGTH:
        raise LinkError("too_long", str(MAX_URL_LENGTH))
    if any(unicodedata.category(ch) in _HIDDEN_CATEGORIES for ch in raw):
        raise LinkError("control_chars")
    if "\\" in raw:
        raise LinkError("backslash")
    # A scheme is letters then ":" not followed by a digit ("facebook.com:443/x" is a host and a port).
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])", raw)
    if not scheme_match:
        raw = "https://" + raw  # notices write "facebook.com/…": the scheme is implied, and only https is used
    elif scheme_match.group(1).lower() != "https":
        raise LinkError("not_https", scheme_match.group(1).lower()[:20])
    elif not raw[len("https:") :].startswith("//"):
        raise LinkError("malformed")
    if not _authority(raw).isascii():
        raise LinkError("non_ascii")
    return raw


def _authority(raw: str) -> str:
    """What a browser reads as user, host and port: after '//', up to the first '/', '?' or '#'."""
    rest = raw.split("//", 1)[1] if "//" in raw else ""
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


def _check_host_shape(host: str) -> None:
    labels = host.split(".")
    if any(label.startswith("xn--") for label in labels):
        raise LinkError("punycode", host[:MAX_HOST_LENGTH])
    if len(host) > MAX_HOST_LENGTH or any(len(label) > MAX_LABEL_LENGTH for label in labels):
        raise LinkError("malformed")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise LinkError("malformed")


def _platform_of(host: str) -> str:
    platform = _PAGE_HOSTS.get(host)
    if platform is not None:
        return platform
    if is_government_host(host):
        return Platform.PORTAL
    for domain, name in _PLATFORM_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            raise LinkError("platform_service", name)
    _refuse_unknown_host(host)
    raise AssertionError("unreachable")


def _refuse_unknown_host(host: str) -> None:
    """An unknown host: say so, and say louder when it imitates a platform we know."""
    squashed = host.replace("-", "").replace(".", "")
    bare_host = host.removeprefix("www.")
    for known in _IMITATED:
        if edit_distance(bare_host, known, 2) <= 2:
            raise LinkError("lookalike", known)
    digits_as_letters = re.sub(r"[0-9]", lambda m: {"0": "o", "1": "l", "3": "e", "5": "s"}.get(m.group(), ""),
                               squashed)
    for brand, shown in _BRANDS.items():
        if brand in squashed or brand in digits_as_letters:
            raise LinkError("lookalike", shown)
    raise LinkError("unknown_host", host[:MAX_HOST_LENGTH])


def _server_path(pathname: str) -> str:
    """The path the server sees: unreserved escapes decoded, the rest upper-cased (RFC 3986 §6.2.2)."""

    def normalise(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char.isascii() and (char.isalnum() or char in "-._~") else "%" + match.group(1).upper()

    return _UNRESERVED.sub(normalise, pathname)


def _segments(path: str) -> list[str]:
    """Path segments; a trailing slash is the same page, an empty inner segment ('//') is refused."""
    parts = path.split("/")[1:]
    if parts and parts[-1] == "":
        parts.pop()
    if any(p in ("", ".", "..") for p in parts):
        raise LinkError("bad_path")
    return parts


def _ascii_digits(text: str) -> bool:
    return bool(_DIGITS.match(text))


def _query_values(search: str, name: str) -> list[str]:
    return parse_qs(search.removeprefix("?"), keep_blank_values=True).get(name, [])


def _plain(segment: str) -> bool:
    return "%" not in segment


def _facebook(host: str, segments: list[str], search: str) -> str:
    if not segments:
        raise LinkError("no_page", "Facebook")
    first, rest = segments[0].lower(), segments[1:]
    if first == "profile.php":
        ids = _query_values(search, "id")
        if rest or len(ids) != 1 or not _FB_PAGE_ID.match(ids[0]):
            raise LinkError("no_page", "Facebook")
        return f"https://www.facebook.com/profile.php?id={ids[0]}"
    if first == "p" and len(rest) == 1 and _FB_NAME_ID.match(rest[0]):
        return f"https://www.facebook.com/p/{rest[0]}/"
    if first in ("people", "pages") and len(rest) == 2 and _FB_NAME.match(rest[0]) and _FB_PAGE_ID.match(rest[1]):
        return f"https://www.facebook.com/{first}/{rest[0]}/{rest[1]}/"
    if not all(_plain(s) for s in segments):
        raise LinkError("bad_path")
    if _FB_PAGE_ID.match(first) and not rest:
        return f"https://www.facebook.com/{first}"
    if (not _FB_USERNAME.match(first) or first.replace(".", "") in _FB_SYSTEM or first in _FB_SYSTEM
            or first.endswith((".php", ".html", ".htm")) or _API_VERSION.match(first) or _ascii_digits(first)):
        raise LinkError("no_page", "Facebook")
    if rest and (rest[0].lower() not in _FB_TABS or len(rest) > 2):  # a tab, and at most an item of it
        raise LinkError("no_page", "Facebook")
    return f"https://www.facebook.com/{first}"


def _zalo(host: str, segments: list[str], search: str) -> str:
    if len(segments) != 1 or not _ZALO_ID.match(segments[0]):
        raise LinkError("no_page", "Zalo")
    return f"https://zalo.me/{segments[0]}"


def _youtube(host: str, segments: list[str], search: str) -> str:
    if not all(_plain(s) for s in segments):
        raise LinkError("bad_path")
    page, rest = _youtube_page(segments)
    if len(rest) > 1 or (rest and rest[0].lower() not in _YT_TABS):
        raise LinkError("no_page", "YouTube")
    return f"https://www.youtube.com/{page}"


def _youtube_page(segments: list[str]) -> tuple[str, list[str]]:
    if segments and _YT_HANDLE.match(segments[0]):
        return segments[0].lower(), segments[1:]
    if len(segments) >= 2 and segments[0] == "channel" and _YT_CHANNEL.match(segments[1]):
        return f"channel/{segments[1]}", segments[2:]
    if len(segments) >= 2 and segments[0] in ("c", "user") and _YT_NAME.match(segments[1]):
        return f"{segments[0]}/{segments[1].lower()}", segments[2:]
    raise LinkError("no_page", "YouTube")


def _tiktok(host: str, segments: list[str], search: str) -> str:
    if not all(_plain(s) for s in segments):
        raise LinkError("bad_path")
    if not segments or not _TT_HANDLE.match(segments[0]):
        raise LinkError("no_page", "TikTok")
    rest = segments[1:]
    if rest and not (len(rest) == 2 and rest[0] in _TT_ITEM and _ascii_digits(rest[1])):
        raise LinkError("no_page", "TikTok")
    return f"https://www.tiktok.com/{segments[0].lower()}"


def _portal(host: str, segments: list[str], search: str) -> str:
    # A portal is its host: a page of it is kept as a path; queries and fragments are navigation noise.
    if not all(_PORTAL_SEGMENT.match(s) for s in segments):
        raise LinkError("bad_path")
    path = "".join("/" + s for s in segments)
    return f"https://{host}{path}"


_CANONICALISERS = {
    Platform.FACEBOOK: _facebook,
    Platform.ZALO: _zalo,
    Platform.YOUTUBE: _youtube,
    Platform.TIKTOK: _tiktok,
    Platform.PORTAL: _portal,
}
