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


# Vietnamese alphabetical order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (with the Latin
# letters Vietnamese does not use slotted in where English has them), then the tones as a tie-break:
# ngang, huyền, hỏi, ngã, sắc, nặng — the order of Vietnamese dictionaries (a à ả ã á ạ).
_ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "ô", "ơ",
             "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z"]
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=11)}  # 1-10: the digits
# Breve, circumflex and horn make letters of their own: (base, mark) → letter.
_MARKED = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
           ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng


def vi_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """A sort key in Vietnamese collation: "Cà Mau" < "Cao Bằng" < "Cần Thơ" < "Đà Nẵng" < "Điện Biên".

    Letters first (ă, â, đ, ê, ô, ơ, ư are letters after a, a, d, e, o, o, u); tones only break ties; anything
    that is not a letter or digit sorts like a space, before every letter.
    """
    letters: list[int] = []
    tones: list[int] = []
    for base, marks in _letters(unicodedata.normalize("NFD", nfc(text).casefold())):
        if base.isdigit() and base.isascii():
            letters.append(1 + int(base))
            tones.append(0)
            continue
        letter = next((_MARKED[(base, m)] for m in marks if (base, m) in _MARKED), base)
        rank = _LETTER_RANK.get(letter)
        if rank is None:
            if letters and letters[-1] == 0:
                continue  # runs of spaces and punctuation count once
            letters.append(0)
            tones.append(0)
            continue
        letters.append(rank)
        tones.append(max((_TONE_RANK.get(m, 0) for m in marks), default=0))
    while letters and letters[-1] == 0:
        letters.pop()
        tones.pop()
    return tuple(letters), tuple(tones), text


def _letters(decomposed: str) -> list[tuple[str, str]]:
    """NFD text as (base character, its combining marks)."""
    out: list[tuple[str, str]] = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out:
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((ch, ""))
    return out
