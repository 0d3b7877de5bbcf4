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
    """Damerau-Levenshtein (optimal string alignment) distance, giving up past `limit` (returns limit + 1).

    Written for speed in plain Python (the resolver's typo tolerance calls it for every near-length name).
    """
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ca = a[i - 1]
        cur = [i] * (lb + 1)
        row_min = i
        for j in range(1, lb + 1):
            cb = b[j - 1]
            best = prev[j - 1] + (ca != cb)
            if prev[j] + 1 < best:
                best = prev[j] + 1
            if cur[j - 1] + 1 < best:
                best = cur[j - 1] + 1
            if prev2 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2[j - 2] + 1 < best:
                best = prev2[j - 2] + 1
            cur[j] = best
            if best < row_min:
                row_min = best
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb]
