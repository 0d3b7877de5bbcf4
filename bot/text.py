"""Text keys for matching what people type: accent-, case-, spacing- and punctuation-insensitive."""

from __future__ import annotations

import re
import unicodedata

# "đ" / "Đ" are letters of their own, not "d" + a combining mark: NFD leaves them as they are.
_LETTER_MAP = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ı": "i"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """The composed form: what we store and draw, whatever form the user's keyboard sent."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "TP. Hồ  Chí Minh" → "tp ho chi minh"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_MAP).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.translate(_LETTER_MAP)).strip()


def compact(text: str) -> str:
    """`fold` without spaces: "Cần  Thơ", "cantho" and "CAN-THO" all give "cantho"."""
    return fold(text).replace(" ", "")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, giving up past `limit` (returns limit + 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
