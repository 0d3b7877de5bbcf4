"""Link rules: which platform a URL is on, its one canonical form, and why we refuse the rest.

A wrong "official" link is the worst bug this product can have, so the rules are an allow-list: a URL is
accepted only when its host is exactly one of the known platform hosts (or a portal under gov.vn) and its
path has the shape that platform uses for a page. Everything else is refused with a reason a person
understands (`LinkError.code` picks the sentence in i18n).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.text import edit_distance

MAX_URL_LENGTH = 512


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

_HOSTS = {
    "facebook.com": Platform.FACEBOOK,
    "www.facebook.com": Platform.FACEBOOK,
    "m.facebook.com": Platform.FACEBOOK,
    "web.facebook.com": Platform.FACEBOOK,
    "fb.com": Platform.FACEBOOK,
    "www.fb.com": Platform.FACEBOOK,
    "zalo.me": Platform.ZALO,
    "www.zalo.me": Platform.ZALO,
    "youtube.com": Platform.YOUTUBE,
    "www.youtube.com": Platform.YOUTUBE,
    "m.youtube.com": Platform.YOUTUBE,
    "tiktok.com": Platform.TIKTOK,
    "www.tiktok.com": Platform.TIKTOK,
}
# Brand words that, found in a host we do not know, mean someone is imitating a platform.
_BRANDS = ("facebook", "zalo", "youtube", "tiktok", "govvn", "chinhphu")

# Facebook paths that are Facebook's own pages or redirectors, never a fanpage.
_FB_RESERVED = {
    "l.php", "login", "login.php", "sharer", "sharer.php", "share", "dialog", "home.php", "watch", "groups",
    "events", "help", "settings", "policies", "privacy", "recover", "messages", "marketplace", "gaming",
    "plugins", "photo.php", "photo", "story.php", "permalink.php", "hashtag", "search", "business", "ads",
}
_FB_USERNAME = re.compile(r"^[A-Za-z0-9.]{1,80}$")
_ZALO_ID = re.compile(r"^[0-9]{5,25}$")
_YT_HANDLE = re.compile(r"^@[A-Za-z0-9._-]{3,30}$")
_YT_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_TT_HANDLE = re.compile(r"^@[A-Za-z0-9._]{2,24}$")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_PATH_SAFE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$")


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


def parse_link(text: str) -> Link:
    """The canonical Link for `text`, or LinkError with the reason it is refused."""
    raw = text.strip()
    if not raw:
        raise LinkError("empty")
    if len(raw) > MAX_URL_LENGTH:
        raise LinkError("too_long", str(MAX_URL_LENGTH))
    if any(ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0x9F or ch in "\u200b\u200c\u200d\u2060\ufeff" for ch in raw):
        raise LinkError("control_chars")
    if "\\" in raw:
        raise LinkError("backslash")
    if not raw.isascii():
        raise LinkError("non_ascii")
    # A scheme is letters then ":" not followed by a digit ("facebook.com:443/x" is a host and a port).
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)", raw)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme != "https":
            raise LinkError("not_https", scheme)
        if not raw[len(scheme) + 1 :].startswith("//"):
            raise LinkError("malformed")
    else:
        raw = "https://" + raw  # notices write "facebook.com/…": the scheme is implied, and only https is used
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise LinkError("malformed") from exc
    if "@" in parts.netloc:
        raise LinkError("userinfo")
    if port not in (None, 443):  # 443 is https's own port: the same address without it
        raise LinkError("port")
    host = (parts.hostname or "").lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise LinkError("malformed")
    _check_host_shape(host)
    platform = _HOSTS.get(host)
    if platform is None:
        if host.endswith(".gov.vn"):
            platform = Platform.PORTAL
        else:
            _refuse_unknown_host(host)
    if not _PATH_SAFE.match(parts.path) or "/../" in parts.path + "/" or "//" in parts.path:
        raise LinkError("bad_path")
    return Link(platform, _CANONICALISERS[platform](host, parts.path, parts.query))


def _check_host_shape(host: str) -> None:
    labels = host.split(".")
    if re.fullmatch(r"[0-9.]+", host) or ":" in host:
        raise LinkError("ip_host")
    if any(label.startswith("xn--") for label in labels):
        raise LinkError("punycode", host)
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise LinkError("malformed")


def _refuse_unknown_host(host: str) -> None:
    """An unknown host: say so, and say louder when it imitates a platform we know."""
    squashed = host.replace("-", "").replace(".", "")
    for known in _HOSTS:
        bare = known.removeprefix("www.").removeprefix("m.")
        if edit_distance(host.removeprefix("www."), bare, 2) <= 2 or bare.split(".")[0] in squashed:
            raise LinkError("lookalike", bare)
    lowered = re.sub(r"[0-9]", lambda m: {"0": "o", "1": "l", "3": "e", "5": "s"}.get(m.group(), ""), squashed)
    for brand in _BRANDS:
        if brand in lowered:
            raise LinkError("lookalike", "gov.vn" if brand == "govvn" else brand)
    raise LinkError("unknown_host", host)


def _facebook(host: str, path: str, query: str) -> str:
    segments = [s for s in path.split("/") if s]
    if not segments:
        raise LinkError("no_page", "Facebook")
    first = segments[0].lower()
    if first in ("profile.php",):
        ids = parse_qs(query).get("id", [])
        if len(ids) == 1 and ids[0].isdigit():
            return f"https://www.facebook.com/profile.php?id={ids[0]}"
        raise LinkError("no_page", "Facebook")
    if first in ("people", "pages") and len(segments) >= 3 and segments[2].isdigit():
        return f"https://www.facebook.com/{first}/{segments[1]}/{segments[2]}"
    if first in _FB_RESERVED or not _FB_USERNAME.match(segments[0]) or "%" in segments[0]:
        raise LinkError("no_page", "Facebook")
    # Usernames are case-insensitive on Facebook; sub-pages (/about, /posts/…) belong to the same page.
    return f"https://www.facebook.com/{first}"


def _zalo(host: str, path: str, query: str) -> str:
    segments = [s for s in path.split("/") if s]
    if len(segments) != 1 or not _ZALO_ID.match(segments[0]):
        raise LinkError("no_page", "Zalo")
    return f"https://zalo.me/{segments[0]}"


def _youtube(host: str, path: str, query: str) -> str:
    segments = [s for s in path.split("/") if s]
    if segments and _YT_HANDLE.match(segments[0]):
        return f"https://www.youtube.com/{segments[0].lower()}"
    if len(segments) >= 2 and segments[0] == "channel" and _YT_CHANNEL.match(segments[1]):
        return f"https://www.youtube.com/channel/{segments[1]}"
    raise LinkError("no_page", "YouTube")


def _tiktok(host: str, path: str, query: str) -> str:
    segments = [s for s in path.split("/") if s]
    if segments and _TT_HANDLE.match(segments[0]):
        return f"https://www.tiktok.com/{segments[0].lower()}"
    raise LinkError("no_page", "TikTok")


def _portal(host: str, path: str, query: str) -> str:
    # A portal is its home page or a page of it; queries and fragments are tracking or navigation noise.
    if "%" in path:
        raise LinkError("bad_path")
    return f"https://{host}{path.rstrip('/')}"


_CANONICALISERS = {
    Platform.FACEBOOK: _facebook,
    Platform.ZALO: _zalo,
    Platform.YOUTUBE: _youtube,
    Platform.TIKTOK: _tiktok,
    Platform.PORTAL: _portal,
}
