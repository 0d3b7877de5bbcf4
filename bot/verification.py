"""Is this link official? A verdict for every kind of link a person can be sent.

official / superseded / retired — it is in the registry (with its unit, source and successor);
lookalike — it imitates a registered page ("congthongtin.cantho", "faceb00k.com/congthongtincantho") or a
    platform's domain: the most dangerous answer, shown first when a message holds several links;
refused — not a link we can judge (malformed, http, an IP…), with the reason;
unregistered — a real page of a platform, not in the registry;
service — a real platform's short link, redirector or app host: never called fake, the user is asked to open it
    and send the page's own address;
government — a real government host (gov.vn, chinhphu.vn…) that is not a registered channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ada_url

from bot.links import Link, LinkError, Platform, parse_link
from bot.models import Channel
from bot.text import edit_distance

# Most dangerous first: the order in which several verdicts of one message are shown.
DANGER = ("lookalike", "refused", "unregistered", "service", "government", "retired", "superseded", "official")
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})


@dataclass(frozen=True)
class Judgement:
    """What the link rules and the registry say of one link, before any wording."""

    status: str
    link: Link | None = None
    error: LinkError | None = None
    channel: Channel | None = None  # the registered channel (official, superseded, retired)
    resembles: Channel | None = None  # the registered page a look-alike imitates


def page_key(url: str) -> str:
    """The part of a canonical URL that names the page: "congthongtincantho", "@vtv24", "3460461954401350861"."""
    path = url.split("://", 1)[-1].split("/", 1)[1] if "/" in url.split("://", 1)[-1] else ""
    segments = [s for s in re.split(r"[/?=&]", path) if s and s not in ("profile.php", "id", "p", "people")]
    return (segments[0] if segments else "").lower().lstrip("@")


def squash(key: str) -> str:
    """A key with the look-alike tricks undone: dots, dashes and underscores dropped, digits read as letters."""
    return re.sub(r"[._-]", "", key.lower()).translate(_LEET)


def resembles(key: str, registered: list[Channel]) -> Channel | None:
    """The registered channel whose page key `key` imitates, if any (the same key is not an imitation)."""
    if len(key) < 5:
        return None
    squashed = squash(key)
    best: tuple[int, Channel] | None = None
    for channel in registered:
        other = page_key(channel.url)
        if not other or other == key:
            continue
        distance = 0 if squash(other) == squashed else edit_distance(squashed, squash(other), 2)
        if distance <= 2 and (best is None or distance < best[0]):
            best = (distance, channel)
    return best[1] if best else None


def judge(text: str, by_url: dict[str, Channel], registered: list[Channel]) -> Judgement:
    """The verdict on `text`, given the registry's channels (by canonical URL, and all of them)."""
    try:
        link = parse_link(text)
    except LinkError as exc:
        if exc.code == "platform_service":
            return Judgement("service", error=exc)
        if exc.code in ("lookalike", "punycode", "non_ascii"):
            return Judgement("lookalike", error=exc, resembles=_imitated(text, registered))
        first = _first_segment(text) if exc.code in ("no_page", "bad_path") else ""
        # Not a page at all, but dressed as a registered one ("congthongtin-cantho"); the registered name itself
        # with an unknown tab after it is not an imitation, only not a page.
        imitated = resembles(first.replace("-", ""), registered) or resembles(first, registered) if first else None
        if imitated is not None:  # not a page at all, but dressed as a registered one ("congthongtin-cantho")
            return Judgement("lookalike", error=exc, resembles=imitated)
        return Judgement("refused", error=exc)
    channel = by_url.get(link.url)
    if channel is None and link.platform == Platform.PORTAL:
        host_only = "https://" + link.url.split("://", 1)[1].split("/", 1)[0]
        channel = by_url.get(host_only)  # a page of a registered portal is that portal's
    if channel is not None:
        status = "official" if channel.status == "active" else channel.status
        return Judgement(status, link=link, channel=channel)
    if link.platform == Platform.PORTAL:
        return Judgement("government", link=link)
    key = page_key(link.url)
    imitated = resembles(key, [c for c in registered if c.platform == link.platform])
    if imitated is not None and key.replace(".", "") == page_key(imitated.url).replace(".", ""):
        # Facebook ignores dots in usernames: this may well open the registered page. Not a fake; say which.
        return Judgement("unregistered", link=link, resembles=imitated)
    if imitated is not None:
        return Judgement("lookalike", link=link, resembles=imitated)
    return Judgement("unregistered", link=link)


def _first_segment(text: str) -> str:
    """The first path segment a browser would see, lower-cased, without a leading "@"."""
    raw = text.strip()
    try:
        url = ada_url.URL(raw if "://" in raw else "https://" + raw)
    except ValueError:
        return ""
    return next((s for s in url.pathname.split("/") if s), "").lower().lstrip("@")


def _imitated(text: str, registered: list[Channel]) -> Channel | None:
    """For a look-alike host: the registered page its path names ("faceb00k.com/congthongtincantho")."""
    first = _first_segment(text)
    if not first:
        return None
    for channel in registered:
        if page_key(channel.url) == first:
            return channel
    return resembles(first.replace("-", ""), registered) or resembles(first, registered)
