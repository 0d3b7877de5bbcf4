"""One validation for every way data enters the registry: chat, the guided /addnotice, import, seed, CLI.

Free text is what people read next to an official link, so it must not be able to pose as one: names and
notice fields are NFC-normalised, stripped of control and bidi-override characters, length-capped, and
refused when they contain a URL or something that reads as one ("faceb00k.com/…", "facebook[.]com").
Numbers are ASCII digits only (`"²".isdigit()` is true and `int("²")` fails); dates are real calendar dates.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.links import MAX_URL_LENGTH, LinkError, parse_link
from bot.text import nfc

# Caps per kind of text: enough for every real notice, small enough that no field can break a card.
LIMITS = {
    "name": 200, "issuer": 300, "subject": 500, "summary": 1500, "signer": 120, "signer_title": 200,
    "location": 100, "recipient": 300, "unit_name": 300, "address": 300, "phone": 60, "number": 40,
    "number_suffix": 60, "report": 1000,
}
MAX_RECIPIENTS = 60
MAX_EMAILS = 10
FIRST_YEAR = 1945  # the first official documents of the state

# Format and invisible characters: controls, zero-width, bidi embeddings/overrides/isolates, soft hyphen.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff\ufff9-\ufffb]")
_SPACES = re.compile(r"\s+")
# Something a reader (or Telegram's auto-linker) takes for an address: a scheme, "www.", or name.tld —
# the dot written plainly (no spaces: "Facebook. Trang" is a sentence) or obfuscated ("[.]", " dot ").
_DOT = r"(?:\.|\s*\[\.\]\s*|\s*\(\.\)\s*|\s+dot\s+|\s+chấm\s+)"
# Top-level domains, not any letters after a dot: "TP.HCM" and "P.An Hội" are Vietnamese abbreviations.
_TLDS = ("com|net|org|vn|me|be|ly|io|co|info|biz|xyz|top|app|site|online|link|page|us|uk|ru|cn|tk|ml|ga|cf|gq"
         "|cc|tv|ws|to|gl|gd|asia|shop|store|live|click|club|icu|win|vip|pro|dev|ai|gov|edu|int|mobi|name")
_URLISH = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*:/{1,}|\bwww" + _DOT + r"|\b(?:javascript|data|vbscript):"
    r"|\b[a-z0-9-]+(?:" + _DOT + r"[a-z0-9-]+)*" + _DOT + r"(?:" + _TLDS + r")(?![a-z0-9]))"
)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
_ASCII_INT = re.compile(r"^[0-9]{1,18}$")


class Invalid(ValueError):
    """Input we refuse. `code` names the sentence (i18n `invalid_<code>`), `detail` fills it in."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def clean_text(value: object, kind: str, *, multiline: bool = False, allow_urls: bool = False) -> str:
    """`value` as stored: NFC, invisible characters removed, spaces collapsed; or Invalid with the reason."""
    if not isinstance(value, str):
        raise Invalid("not_text", kind)
    text = _INVISIBLE.sub("", nfc(value))
    if multiline:
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()
    else:
        text = _SPACES.sub(" ", text).strip()
    if not text:
        raise Invalid("empty", kind)
    if len(text) > LIMITS[kind]:
        raise Invalid("too_long", f"{kind} ≤ {LIMITS[kind]}")
    if not allow_urls and contains_url(text):
        raise Invalid("has_url", kind)
    return text


def optional_text(value: object, kind: str, *, multiline: bool = False) -> str | None:
    """Like clean_text, but None and empty strings are "not known"."""
    if value is None or (isinstance(value, str) and not _INVISIBLE.sub("", value).strip()):
        return None
    return clean_text(value, kind, multiline=multiline)


def contains_url(text: str) -> bool:
    """Whether `text` holds an address or a look-alike of one (full-width letters and dots count)."""
    folded = unicodedata.normalize("NFKC", text).replace("。", ".")
    return bool(_URLISH.search(folded))


def email(value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise Invalid("bad_email", str(value)[:80])
    return value.strip()


def ascii_int(text: str, low: int, high: int) -> int | None:
    """An integer typed in ASCII digits within [low, high]; None for anything else ("²", "１２", "-1", "1e3")."""
    text = text.strip()
    if not _ASCII_INT.match(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def strict_int(value: object) -> int | None:
    """A JSON integer (not a bool, not a float, not a string)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def latest_year() -> int:
    return datetime.now(UTC).year + 1


def check_date(year: object, month: object = None, day: object = None) -> tuple[int, int | None, int | None]:
    """A date as known: a year, a month or a whole day — each real (31/02 is refused); a day needs its month."""
    y, m, d = strict_int(year), strict_int(month), strict_int(day)
    if y is None or not FIRST_YEAR <= y <= latest_year():
        raise Invalid("bad_year", f"{FIRST_YEAR}–{latest_year()}")
    if month is not None and (m is None or not 1 <= m <= 12):
        raise Invalid("bad_month")
    if day is not None:
        if d is None or m is None:
            raise Invalid("bad_day")
        try:
            date(y, m, d)
        except ValueError as exc:
            raise Invalid("bad_day") from exc
    return y, m, d


def iso_day(value: object, kind: str) -> str | None:
    """An ISO date ("2021-12-01", or "2021-12" when only the month is known), not in the future; None if absent."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?", value):
        raise Invalid("bad_iso_date", kind)
    parts = [int(p) for p in value.split("-")]
    check_date(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
    if value[:10] > (datetime.now(UTC).date() + timedelta(days=1)).isoformat()[: len(value)]:
        raise Invalid("future_date", kind)
    return value


def notice_record(n: dict[str, Any]) -> dict[str, Any]:
    """A notice's fields as stored, each checked; what the notice leaves blank stays None. Raises Invalid or
    LinkError (the notice's document link goes through the same link rules as every channel)."""
    year, month, day = check_date(n.get("year"), n.get("month"), n.get("day"))
    recipients = n.get("recipients") or []
    if not isinstance(recipients, list) or len(recipients) > MAX_RECIPIENTS:
        raise Invalid("bad_list", "recipients")
    unit = n.get("managing_unit")
    managing_unit = None
    if unit is not None:
        if not isinstance(unit, dict):
            raise Invalid("not_object", "managing_unit")
        emails = unit.get("emails") or []
        if not isinstance(emails, list) or len(emails) > MAX_EMAILS:
            raise Invalid("bad_list", "emails")
        managing_unit = {"name": clean_text(unit.get("name"), "unit_name"),
                         "address": optional_text(unit.get("address"), "address"),
                         "phone": optional_text(unit.get("phone"), "phone"),
                         "emails": [email(e) for e in emails]}
    url = n.get("url")
    if url not in (None, ""):
        if not isinstance(url, str):
            raise Invalid("not_text", "url")
        url = parse_link(url).url
    return {
        "issuer": clean_text(n.get("issuer"), "issuer"),
        "number": optional_text(n.get("number"), "number"),
        "number_suffix": optional_text(n.get("number_suffix"), "number_suffix"),
        "year": year, "month": month, "day": day,
        "location": optional_text(n.get("location"), "location"),
        "subject": clean_text(n.get("subject"), "subject"),
        "summary": optional_text(n.get("summary"), "summary", multiline=True),
        "signer": optional_text(n.get("signer"), "signer"),
        "signer_title": optional_text(n.get("signer_title"), "signer_title"),
        "recipients": [clean_text(r, "recipient") for r in recipients],
        "url": url or None,
        "managing_unit": managing_unit,
    }


def as_written(value: object, canonical: str) -> str | None:
    """How a notice wrote a link: kept verbatim for display, but only if it is that very link."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise Invalid("bad_as_written")
    try:
        same = parse_link(value).url == canonical
    except LinkError as exc:
        raise Invalid("bad_as_written") from exc
    if not same:
        raise Invalid("bad_as_written")
    return value.strip()
