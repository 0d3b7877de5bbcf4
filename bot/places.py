"""The 34 provincial units, the 63 former provinces, and the resolver from what people type to one of them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path

from bot.text import compact, edit_distance, fold, vi_sort_key

FORMER_PREFIX = "old_"
MEMO_SIZE = 4096
# Words people put around a province's name that say nothing about which one it is.
_LEADING_WORDS = (("thanh", "pho"), ("tinh",), ("tp",), ("t", "p"), ("tx",), ("thu", "do"), ("province",), ("city",),
                  ("of",))
_TRAILING_WORDS = (("province",), ("city",), ("viet", "nam"), ("vietnam",), ("vn",), ("cu",), ("old",), ("former",))
# Words that say what kind of channel or that this is a request, dropped wherever they stand ("fanpage cần thơ",
# "cho tôi kênh của Đồng Tháp") — unless they are part of a name there ("Sóc Trăng", "Nha Trang", "Cửa Lò").
_FILLER_PHRASES = tuple(sorted((tuple(p.split()) for p in (
    "kenh chinh thuc", "kenh thong tin chinh thuc", "kenh thong tin", "kenh", "chinh thuc", "trang chinh thuc",
    "fanpage", "fan page", "page", "trang web", "trang tin", "trang", "website", "web", "zalo oa", "zalo", "oa",
    "facebook", "fb", "youtube", "tiktok", "cong thong tin dien tu", "cong thong tin", "cong ttdt", "cong tt",
    "cong", "ttdt", "ubnd", "uy ban nhan dan", "cho toi", "cho minh", "cua", "xem", "tim", "tim kiem", "tra cuu",
    "toi muon", "muon", "lam on", "official", "channels", "channel", "portal", "show me", "please",
)), key=len, reverse=True))
# What people say to a bot that does not know them yet: answered with the help text, never a guess.
_HELP_WORDS = frozenset({
    "help", "giup", "giup do", "giup toi", "tro giup", "huong dan", "huong dan su dung", "cach dung", "xin chao",
    "chao", "chao ban", "chao bot", "hi", "hello", "hey", "alo", "start", "bat dau", "menu", "lenh", "commands",
    "xin chao ban", "hi bot", "hello bot", "good morning", "chao buoi sang",
})
_HELP_TAIL = ("a", "oi", "nhe", "nha", "voi", "ban", "bot", "ad", "admin", "em", "anh", "chi")


@dataclass(frozen=True)
class Place:
    """A current unit (kind "unit") or a former province (kind "former", merged into `unit_slug`)."""

    slug: str
    kind: str
    code: int
    name: str
    full_name: str
    unit_slug: str
    merged_on: date | None = None

    @property
    def is_former(self) -> bool:
        return self.kind == "former"


class Status(Enum):
    FOUND = "found"
    CHOICES = "choices"
    NOT_FOUND = "not_found"
    HELP = "help"  # a greeting or a call for help, not a place: answer with how to use the bot


@dataclass(frozen=True)
class Resolution:
    status: Status
    place: Place | None = None
    choices: tuple[Place, ...] = ()
    suggestions: tuple[Place, ...] = ()
    corrected: bool = False  # found through typo tolerance: say what we understood


@dataclass
class Gazetteer:
    """All places, indexed for the resolver. Built once from data/; immutable afterwards."""

    places: dict[str, Place]
    aliases: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Sorted once (Vietnamese collation is not cheap, and menus, inline mode and the card server ask often).
        self._units = tuple(sorted((p for p in self.places.values() if not p.is_former),
                                   key=lambda p: vi_sort_key(p.name)))
        self._by_key: dict[str, Place] = {}
        self._initials: dict[str, list[Place]] = {}
        # Units first, so that a former province that kept its name ("Cần Thơ" before 2025) never shadows
        # the unit of today.
        for place in sorted(self.places.values(), key=lambda p: p.is_former):
            for text in (place.name, place.full_name):
                self._by_key.setdefault(compact(text), place)
            if place.is_former and self.places[place.unit_slug].name == place.name:
                continue
            initials = "".join(word[0] for word in fold(place.name).split())
            self._initials.setdefault(initials, []).append(place)
        self._keys = sorted(self._by_key)
        self._words = {p.slug: frozenset(fold(p.name).split()) for p in self.places.values()}
        # Keys that a filler word may be part of ("soc" + "trang", "nha" + "trang"): then it is not filler there.
        self._known = frozenset(self._by_key) | frozenset(self.aliases)
        self._memo: dict[str, Resolution] = {}

    # --- lookups -------------------------------------------------------------------------------------
    def unit_of(self, place: Place) -> Place:
        return self.places[place.unit_slug]

    def units(self) -> list[Place]:
        """The 34 units in a sensible order for a menu: alphabetical, the way Vietnamese readers sort."""
        return list(self._units)

    def members(self, unit: Place) -> list[Place]:
        """Former provinces that went into `unit` (including the one that kept its name)."""
        return sorted(
            (p for p in self.places.values() if p.is_former and p.unit_slug == unit.slug),
            key=lambda p: vi_sort_key(p.name),
        )

    def merged_members(self, unit: Place) -> list[Place]:
        """Former provinces with another name that went into `unit`: the news a user needs to hear."""
        return [p for p in self.members(unit) if p.name != unit.name]

    def is_renamed(self, place: Place) -> bool:
        return place.is_former and self.unit_of(place).name != place.name

    # --- the resolver --------------------------------------------------------------------------------
    def resolve(self, query: str) -> Resolution:
        """One place, a short list to choose from, or nothing (with suggestions).

        Memoised: the places never change while the bot runs, and people ask for the same few names.
        """
        found = self._memo.get(query)
        if found is None:
            found = self.resolve_uncached(query)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[query] = found
        return found

    def resolve_uncached(self, query: str) -> Resolution:
        raw = query.strip()
        if raw in self.places:
            return Resolution(Status.FOUND, self.places[raw])
        folded = fold(raw)
        if _is_help(folded.split()):
            return Resolution(Status.HELP)
        words, wants_former = _strip_filler(self._drop_filler(folded.split()))
        key = "".join(words)
        if not key or key.isdigit():
            return Resolution(Status.NOT_FOUND)
        if key in self._by_key:
            return Resolution(Status.FOUND, self._prefer_former(self._by_key[key], wants_former))
        if key in self.aliases:
            return Resolution(Status.FOUND, self.places[self.aliases[key]])
        if key in self.ambiguous:
            return Resolution(Status.CHOICES, choices=tuple(self.places[s] for s in self.ambiguous[key]))
        if 2 <= len(key) <= 4 and key in self._initials:
            return self._one_or_choices(self._initials[key])
        if len(key) >= 3:
            # The start of a name ("vinh" → Vĩnh Long, Vĩnh Phúc) or its words in any position ("long" → Vĩnh
            # Long and Long An; "ninh" → the five with Ninh): units and former provinces alike, none preferred.
            prefixed = (self._by_key[k] for k in self._keys if k.startswith(key))
            named = (p for p in self._by_key.values() if self._has_words(p, words))
            found = self._unique([*prefixed, *named])
            if found:  # units first, then former provinces, each in Vietnamese order
                return self._one_or_choices(sorted(found, key=lambda p: (p.is_former, vi_sort_key(p.name))))
        return self._fuzzy(key)

    def _has_words(self, place: Place, words: list[str]) -> bool:
        """Every word typed is a word of the name; the last may be the start of one (still being typed)."""
        names = self._words[place.slug]
        *whole, last = words
        return set(whole) <= names and any(n.startswith(last) for n in names)

    def _drop_filler(self, words: list[str]) -> list[str]:
        """Remove _FILLER_PHRASES anywhere, except where the words around make a name with them."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase in _FILLER_PHRASES:
                j = i + len(phrase)
                if tuple(words[i:j]) == phrase and not self._part_of_a_name(words, i, j):
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _part_of_a_name(self, words: list[str], i: int, j: int) -> bool:
        for a in range(max(0, i - 3), i + 1):
            for b in range(j, min(len(words), j + 3) + 1):
                if (a < i or b > j) and "".join(words[a:b]) in self._known:
                    return True
        return False

    def _prefer_former(self, place: Place, wants_former: bool) -> Place:
        if wants_former and not place.is_former:
            same = [p for p in self.members(place) if p.name == place.name]
            return same[0] if same else place
        return place

    def _fuzzy(self, key: str) -> Resolution:
        """A small typo resolves; nothing that close: suggestions a little further off."""
        limit = 1 if len(key) <= 5 else 2 if len(key) <= 10 else 3
        close = self._within(key, limit)  # the tight limit lets the comparison give up early
        if close:
            best = self._unique(close[min(close)])
            if len(best) == 1:
                return Resolution(Status.FOUND, best[0], corrected=True)
            return Resolution(Status.CHOICES, choices=tuple(best[:8]))
        # Suggestions only when genuinely close: about one edit in three letters ("haiphonxyz" → Hải Phòng), so
        # that "thủ đô", "asdf" or "zz" suggest nothing rather than whatever is shortest.
        reach = min(limit + 2, len(key) * 34 // 100)
        near = self._within(key, reach) if reach > limit else {}
        return Resolution(Status.NOT_FOUND, suggestions=tuple(self._unique(
            p for d in sorted(near) for p in near[d])[:5]))

    def _within(self, key: str, limit: int) -> dict[int, list[Place]]:
        """Places whose keys are at most `limit` edits from `key`, by distance."""
        found: dict[int, list[Place]] = {}
        for k in self._keys:
            dist = edit_distance(key, k, limit)  # returns at once when the lengths alone are too far apart
            if dist <= limit:
                found.setdefault(dist, []).append(self._by_key[k])
        return found

    def _one_or_choices(self, places: list[Place]) -> Resolution:
        if len(places) == 1:
            return Resolution(Status.FOUND, places[0])
        return Resolution(Status.CHOICES, choices=tuple(places[:8]))

    def _unique(self, places: Iterable[Place]) -> list[Place]:
        """Each place once, a former province that kept its unit's name as that unit ("Tỉnh Bắc Ninh" and
        "Thành phố Bắc Ninh" are one choice), in the order found."""
        seen: dict[str, Place] = {}
        for p in places:
            if p.is_former and self.places[p.unit_slug].name == p.name:
                p = self.places[p.unit_slug]
            seen.setdefault(p.slug, p)
        return list(seen.values())


def _is_help(words: list[str]) -> bool:
    """ "xin chào", "help", "giúp tôi với", "hướng dẫn ạ": a greeting or a call for help."""
    while len(words) > 1 and words[-1] in _HELP_TAIL:
        words = words[:-1]
    return " ".join(words) in _HELP_WORDS


def _strip_filler(words: list[str]) -> tuple[list[str], bool]:
    """Drop "tỉnh", "thành phố", "TP", "province", "city", "cũ"… around the name; report whether "cũ"/"old" was said."""
    wants_former = False
    changed = True
    while changed and words:
        changed = False
        for filler in _LEADING_WORDS:
            if len(words) > len(filler) and tuple(words[: len(filler)]) == filler:
                words, changed = words[len(filler) :], True
        for filler in _TRAILING_WORDS:
            if len(words) > len(filler) and tuple(words[-len(filler) :]) == filler:
                wants_former = wants_former or filler[0] in ("cu", "old", "former")
                words, changed = words[: -len(filler)], True
    return words, wants_former


def load_gazetteer(data_dir: Path) -> Gazetteer:
    """Read data/provinces.json and data/aliases.toml."""
    raw = json.loads((data_dir / "provinces.json").read_text(encoding="utf-8"))
    merged_on = date.fromisoformat(raw["merged_on"])
    places: dict[str, Place] = {}
    by_code: dict[int, str] = {}
    for u in raw["units"]:
        places[u["codename"]] = Place(u["codename"], "unit", u["code"], u["name"], u["full_name"], u["codename"])
        by_code[u["code"]] = u["codename"]
    for f in raw["former"]:
        slug = FORMER_PREFIX + compact_slug(f["name"])
        places[slug] = Place(slug, "former", f["code"], f["name"], f["full_name"], by_code[f["new_code"]], merged_on)
    aliases_raw = tomllib.loads((data_dir / "aliases.toml").read_text(encoding="utf-8"))
    aliases = dict(aliases_raw.get("names", {}))
    ambiguous = {k: tuple(v) for k, v in aliases_raw.get("ambiguous", {}).items()}
    for target in [*aliases.values(), *(s for v in ambiguous.values() for s in v)]:
        if target not in places:
            raise ValueError(f"aliases.toml names an unknown place: {target}")
    return Gazetteer(places, aliases, ambiguous)


def compact_slug(name: str) -> str:
    """"Bà Rịa - Vũng Tàu" → "ba_ria_vung_tau": ASCII, fits a Telegram deep link."""
    return fold(name).replace(" ", "_")
