"""The notice reader: an official notice's text in, a Draft out. Platform-neutral, no network, no guessing.

Vietnamese administrative documents share one layout (Nghị định 30/2020/NĐ-CP): the issuer's header above the
motto, "Số: …/…", "<place>, ngày … tháng … năm …", "V/v …", "Kính gửi: …", the body, "Nơi nhận: …" and the
signer's title(s) above the signer's name. The reader takes each field from where that layout puts it, and
every channel from a link in the body together with the words around it. A field the text does not give, or
leaves blank (the number before the slash, the day), stays None and is listed in `missing`: a number that is not
in the text is never produced. Every link goes through bot.links like every other way in; every text field
through bot.validate.

The reader does not rely on blank lines (a PDF's text layer has none) or on Markdown (but removes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.ingest.draft import Draft, DraftChannel, ManagingUnitDraft, PlaceRef, RefusedLink
from bot.links import Link, LinkError, Platform, parse_link
from bot.places import Gazetteer, Place, Status
from bot.text import fold, nfc
from bot.validate import Invalid, check_date, email, optional_text

MERGER = date(2025, 7, 1)  # the 63 provinces became 34 units (Nghị quyết 202/2025/QH15)

# --- normalising -------------------------------------------------------------------------------------------
_SPACE_CHARS = re.compile("[\u00a0\u2007\u202f\u2000-\u200a\u3000\t]")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_MD_LINK = re.compile(r"\[([^\]\n]{0,300})\]\(\s*(?:mailto:)?([^)\s]{1,500})\s*\)")
_MD_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]{1,500})>")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_COLUMN_GAP = re.compile(r"\S( {4,})\S")  # text laid out in columns (a PDF's layout mode, a pasted table)

# --- the header ---------------------------------------------------------------------------------------------
_NUMBER = re.compile(r"(?:^|\s)Số\s*:\s*(?P<before>[^\s/]{0,20}?)\s*/\s*(?P<after>[^\s,;]{1,60})"
                     r"|(?:^|\s)Số\s*:\s*(?P<alone>[0-9]{1,6})\b")
_BLANK = r"[\s.…_]*"
_DATE = re.compile(r"(?P<pre>[^\n,]{0,80}),\s*ngày" + _BLANK + r"(?P<day>[0-9]{1,2})?" + _BLANK + r"tháng" + _BLANK
                   + r"(?P<month>[0-9]{1,2})?" + _BLANK + r"năm" + _BLANK + r"(?P<year>[0-9]{4})"
                   r"|(?P<pre2>[^\n,]{0,80}),\s*ngày\s*(?P<d2>[0-9]{1,2})/(?P<m2>[0-9]{1,2})/(?P<y2>[0-9]{4})")
_SUBJECT = re.compile(r"^(?:V/v|V/V|Về việc|VỀ VIỆC)\b")
_BODY_OPENERS = ("Căn cứ", "Thực hiện", "Nhằm", "Để ", "Hiện nay", "Theo ", "Ngày ", "Kính gửi")
_BULLET = re.compile(r"^\s*(?:[-–—•+*]|\d{1,2}[.)]|[a-zđ][.)])\s+")
_SIGN_MARK = re.compile(r"(?i)^[\[(].{0,40}[\])]$|^đã ký$|^\(?ký\b")
_ABBREVIATIONS = frozenset({"tp", "tx", "tt", "kt", "tm", "ttg", "ubnd", "q", "p", "ths", "ts", "pgs", "gs", "bs",
                            "số"})

# --- the body -----------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_TLDS = ("com|net|org|vn|me|be|ly|io|co|info|biz|xyz|top|app|site|online|link|page|tv|asia|gov|edu|shop|live"
         "|click|club|vip|pro|dev|ai|cc|ws|to|gl|us|uk|ru|cn|tk|ml|ga|cf|gq|icu|win")
_LINK = re.compile(
    r"(?i)(?<![\w@.])(?:[a-z][a-z0-9+.-]{1,15}://[^\s<>\"“”]+"
    r"|(?:[a-z0-9-]+\.)+(?:" + _TLDS + r")(?![a-z0-9-])(?::[0-9]{1,5})?(?:[/?#][^\s<>\"“”]*)?)")
_HANDLE = re.compile(r"(?<![\w.@/])@[A-Za-z0-9._]{2,30}")
_TRAILING = ".,;:!?)]}»”’'\""
_FAKE = re.compile(r"(?i)giả mạo|mạo danh|lừa đảo|không phải (?:là )?(?:kênh|trang|tài khoản)[^.;]{0,30}chính thức"
                   r"|không chính thức|không (?:do|thuộc)[^.;]{0,40}quản lý|cảnh giác|tránh xa")
_RETIRE = re.compile(r"(?i)(?:dừng|ngừng|không còn)\s+(?:hoạt động|sử dụng|cập nhật|vận hành|được cập nhật)"
                     r"|đóng (?:trang|tài khoản)|trang cũ|tài khoản cũ|địa chỉ cũ")
_REPLACED_BY = re.compile(r"(?i)(?:được\s+)?thay (?:thế )?bằng|chuyển sang|chuyển về|chuyển thành"
                          r"|(?:địa chỉ|trang) mới")
_REPLACES = re.compile(r"(?i)thay (?:thế )?cho")
_CONTACT = re.compile(r"(?i)đơn vị (?:trực tiếp )?(?:chủ quản|quản lý|vận hành)|liên hệ|website\s*(?:của đơn vị)?\s*:"
                      r"|trang web\s*:|điện thoại|thư điện tử|e-?mail|địa chỉ\s*:\s*số")
_PORTAL_ANNOUNCED = re.compile(r"(?i)cổng (?:thông tin|ttđt|tt)|trang thông tin điện tử|kênh|website chính thức")
_LIVE_FROM = re.compile(
    r"(?i)(?<!dừng )(?<!ngừng )(?<!còn )(?:vận hành|hoạt động|ra mắt|khai trương|sử dụng)[^.;]{0,40}?từ ngày\s*"
    r"(?P<d>[0-9]{1,2})\s*(?:tháng\s*|/|-)\s*(?P<m>[0-9]{1,2})\s*(?:năm\s*|/|-)\s*(?P<y>[0-9]{4})")
_PLATFORM_WORDS = ((Platform.FACEBOOK, re.compile(r"(?i)facebook|fanpage")),
                   (Platform.ZALO, re.compile(r"(?i)\bzalo")),
                   (Platform.YOUTUBE, re.compile(r"(?i)youtube")),
                   (Platform.TIKTOK, re.compile(r"(?i)tiktok")),
                   (Platform.PORTAL, re.compile(r"(?i)cổng thông tin|cổng ttđt|website|trang thông tin điện tử")))
_NAMED = re.compile(r"(?i)(?:có\s+)?tên\s*(?:gọi\s*)?(?:là\s*)?:?\s*(?P<name>.+?)\s*(?:[,(]\s*|\s+|-\s*)"
                    r"(?:tại\s+|với\s+|theo\s+)?(?:địa chỉ|đường dẫn|đường link|link|url|tài khoản|id)\b.*$")
_CONNECTOR_TAIL = re.compile(r"(?i)[\s,:(–-]*(?:(?:tại|theo|với|có)\s+)?(?:địa chỉ|đường dẫn|đường link|link|url"
                             r"|truy cập|là)?\s*(?:mới|cũ)?\s*[:(–-]*\s*$")
_CHANNEL_NOUN = re.compile(r"(?i)\b(?:trang|fanpage|kênh|tài khoản|cổng|zalo|facebook|youtube|tiktok|mạng xã hội)\b")
_CONTAINER_NOUN = re.compile(r"(?i)\b(?:trang|fanpage|kênh|tài khoản|cổng)\b")
_MANAGER = re.compile(r"(?i)(?:đơn vị|cơ quan)\s+(?:trực tiếp\s+)?(?:chủ quản|quản lý|vận hành)[^:]{0,30}:\s*"
                      r"(?P<name>[^;:]{3,200}?)"
                      r"(?=\s*[,;.]?\s*(?:địa chỉ|điện thoại|đt|e-?mail|thư điện tử)\b|;|\.\s|$)")
_MANAGER_OF = re.compile(r"(?:[Kk]ênh|[Tt]rang)(?: thông tin)? chính thức của\s+(?P<name>(?:Cổng|Trang|Ban|Sở|Văn phòng"
                         r"|Trung tâm|Ủy ban|UBND|Báo|Đài)[^,;.:]{3,120}?)\s+(?:hiện|được|do|trên|tại|gồm|là)\b")
_ADDRESS = re.compile(r"(?i)địa chỉ\s*:\s*(?P<v>.+?)(?=\s*;|\s*[,.]\s*(?:điện thoại|đt|e-?mail|thư điện tử|website)\b"
                      r"|\.\s|$)")
_PHONE = re.compile(r"(?i)(?:số điện thoại|điện thoại|đt|hotline)\s*:?\s*(?P<v>[0-9+(][0-9 .()+-]{5,20}[0-9])")
_ISSUER_IN_BODY = re.compile(r"(?P<office>Văn phòng\s+)?(?:Ủy ban nhân dân|UBND)\s+(?P<level>tỉnh|thành phố)"
                             r"(?P<rest>[^,.;:]{0,40}?)\s+(?:trân trọng|kính đề nghị|đề nghị|thông báo)")
_PROVINCE_IN = re.compile(r"(?i)(?:tỉnh|thành phố|tp\.?)\s+(?P<n>[^,;\n()–-]{2,40})")


@dataclass
class _Sentence:
    text: str
    bullet: bool
    inherited: str  # "fake" / "retire" / "": what an introducing line ending in ":" said of its bullets


def read_notice(text: str, places: Gazetteer) -> Draft:
    """The draft entry a notice's text gives; None (and listed in `missing`) for whatever it does not give."""
    lines = normalise(text)
    draft = Draft()
    header_end = _header_end(lines)
    header = lines[:header_end]
    draft.issuer = _issuer(header)
    _number(draft, "\n".join(header))
    _place_and_date(draft, "\n".join(header))
    subject_at, draft.subject = _subject(lines, header_end)
    recipients_end, draft.recipients = _recipients(lines, max(subject_at, 0))
    body_end, signer_start = _tail(lines)
    draft.signer_name, draft.signer_title = _signer(lines, signer_start)
    body_start = recipients_end if recipients_end > 0 else max(subject_at, header_end)
    body = lines[body_start:body_end]
    body_text = " ".join(line for line in body if line)
    if draft.issuer is None:
        draft.issuer = _issuer_from_body(body_text, draft.place)
    draft.managing_unit = _managing_unit(body_text)
    _channels(draft, body)
    _resolve(draft, places)
    draft.recompute_missing()
    return draft


# --- normalising -------------------------------------------------------------------------------------------
def normalise(text: str) -> list[str]:
    """Lines of plain text: NFC, one kind of line ending and of space, no Markdown, tables column by column."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", _SPACE_CHARS.sub(" ", text))
    text = _MD_LINK.sub(lambda m: _md_link(m.group(1), m.group(2)), text)
    text = _MD_AUTOLINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = text.replace("**", "").replace("__", "")
    raw = [line.rstrip().strip("*").rstrip().lstrip("#").rstrip() for line in text.split("\n")]
    lines = _columns(_tables([line.lstrip() if line.lstrip().startswith("|") else line for line in raw]))
    # Runs of spaces left inside a line are justification (a PDF's text layer): one space.
    return [re.sub(r" {2,}", " ", part.strip()) for line in lines for part in re.split(r"<br\s*/?>", line)]


def _md_link(label: str, target: str) -> str:
    label = label.strip("* ")
    if not label or label == target or target.endswith(label) or label.endswith(target):
        return target if "@" not in target else target.removeprefix("mailto:")
    return f"{label} {target}"


def _tables(lines: list[str]) -> list[str]:
    """Markdown-style tables ("| a | b |" rows) become their columns one after the other."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("|"):
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[str]] = []
        while i < len(lines) and lines[i].startswith("|"):
            if not _TABLE_SEPARATOR.match(lines[i]):
                rows.append([re.sub(r"<br\s*/?>", "\n", cell).strip()
                             for cell in lines[i].strip().strip("|").split("|")])
            i += 1
        out.extend(_listed(rows) or _by_column(rows))
    return out


def _listed(rows: list[list[str]]) -> list[str]:
    """A table of channels (a header row naming "Tên" and "Địa chỉ") as the sentences a notice would write."""
    if len(rows) < 2:
        return []
    head = [fold(cell) for cell in rows[0]]
    name = next((i for i, h in enumerate(head) if h.startswith("ten")), None)
    url = next((i for i, h in enumerate(head) if h.startswith(("dia chi", "duong dan", "link", "url"))), None)
    kind = next((i for i, h in enumerate(head) if h.startswith(("nen tang", "kenh", "mang xa hoi", "loai"))), None)
    if name is None or url is None:
        return []
    out = []
    for row in rows[1:]:
        cells = row + [""] * (len(head) - len(row))
        platform = f"{cells[kind]} " if kind is not None and cells[kind] else ""
        out.append(f"- {platform}có tên {cells[name]}, địa chỉ: {cells[url]};")
    return [*out, ""]


def _columns(lines: list[str]) -> list[str]:
    """Runs of lines laid out in two columns (wide gaps between them) become the left column, then the right."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _COLUMN_GAP.search(lines[i]):
            out.append(lines[i].strip())
            i += 1
            continue
        rows: list[list[str]] = []
        while i < len(lines) and (_COLUMN_GAP.search(lines[i]) or _indented(lines[i]) or (
                lines[i].strip() and i + 1 < len(lines) and (_COLUMN_GAP.search(lines[i + 1])
                                                               or _indented(lines[i + 1])))):
            if _indented(lines[i]):
                rows.append(["", lines[i].strip()])  # only the right-hand column has text on this line
            else:
                rows.append([part.strip() for part in re.split(r" {4,}", lines[i].strip(), maxsplit=1)])
            i += 1
        out.extend(_by_column(rows))
    return out


def _indented(line: str) -> bool:
    return line.startswith(" " * 10) and bool(line.strip())


def _by_column(rows: list[list[str]]) -> list[str]:
    width = max((len(r) for r in rows), default=0)
    out: list[str] = []
    for col in range(width):
        for row in rows:
            if col < len(row) and row[col]:
                out.extend(part.strip() for part in row[col].split("\n"))
        out.append("")
    return out


# --- the header ---------------------------------------------------------------------------------------------
def _is_motto(line: str) -> bool:
    folded = fold(line)
    return "cong hoa xa hoi chu nghia" in folded or "doc lap tu do hanh phuc" in folded


def _header_end(lines: list[str]) -> int:
    """Where the header ends: the subject line, or "Kính gửi", or after the place and date."""
    for i, line in enumerate(lines[:60]):
        if _SUBJECT.match(line) or fold(line).startswith("kinh gui"):
            return i
    for i, line in enumerate(lines[:60]):
        if _DATE.search(line):
            return i + 1
    return min(len(lines), 12)


def _issuer(header: list[str]) -> str | None:
    """The header lines above the motto (or the upper-case lines above "Số:"), joined with " - "."""
    motto = next((i for i, line in enumerate(header) if _is_motto(line)), None)
    candidates = header[:motto] if motto is not None else []
    if motto is None:
        number_at = next((i for i, line in enumerate(header) if _NUMBER.search(line)), None)
        top = [line for line in header[:number_at] if line] if number_at else []
        candidates = top if top and len(top) <= 3 and all(_upper(line) for line in top) else []
    parts = [line for line in candidates
             if line and not _NUMBER.search(line) and not re.fullmatch(r"[-_=*~. ]+", line) and not _is_motto(line)]
    if motto is not None:  # a column layout may put the issuer's second line below the motto's
        after = header[motto + 1 :]
        parts += [line for line in after[:4] if line and _upper(line) and not _is_motto(line)
                  and not _NUMBER.search(line) and not _DATE.search(line) and fold(line) != "thong bao"]
    joined: list[str] = []
    for part in dict.fromkeys(parts):
        # "ỦY BAN NHÂN DÂN" over "TỈNH HẬU GIANG" is one name on two lines; "UBND TỈNH X" over "BAN …" is two.
        if joined and fold(part).startswith(_NAME_CONTINUES):
            joined[-1] += " " + part
        else:
            joined.append(part)
    return _clean(" - ".join(joined), "issuer") if joined else None


_NAME_CONTINUES = ("tinh ", "thanh pho ", "huyen ", "quan ", "thi xa ", "xa ", "phuong ")


def _upper(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _number(draft: Draft, header: str) -> None:
    m = _NUMBER.search(header)
    if not m:
        return
    if m.group("alone"):
        draft.number = m.group("alone")
    else:
        after = m.group("after").rstrip(".,;")
        draft.number = f"{m.group('before')}/{after}"
    draft.number = _clean(draft.number, "number_suffix")


def _place_and_date(draft: Draft, header: str) -> None:
    m = _DATE.search(header)
    if not m:
        return
    if m.group("year"):
        pre, day, month, year = m.group("pre"), m.group("day"), m.group("month"), m.group("year")
    else:
        pre, day, month, year = m.group("pre2"), m.group("d2"), m.group("m2"), m.group("y2")
    words = pre.split()
    place: list[str] = []
    for word in reversed(words):  # the place is the capitalised words right before the comma
        bare = word.strip("*_")
        if (bare[:1].isupper() and (bare[1:].islower() or len(bare) == 1 or bare in ("TP.", "Tp.", "TP"))) or (
                bare.endswith(".") and bare[:-1].isalpha() and len(bare) <= 3):
            place.insert(0, bare)
        else:
            break
    draft.place = _clean(" ".join(place), "location") if place else None
    try:
        draft.year, draft.month, draft.day = check_date(int(year), int(month) if month else None,
                                                        int(day) if day and month else None)
    except Invalid:
        draft.year = draft.month = draft.day = None


def _subject(lines: list[str], start: int) -> tuple[int, str | None]:
    """The "V/v …" lines, however many, up to a blank line or "Kính gửi"."""
    at = next((i for i in range(start, min(len(lines), start + 30)) if _SUBJECT.match(lines[i])), None)
    if at is None:
        return -1, None
    parts = [lines[at]]
    for line in lines[at + 1 : at + 8]:
        if not line or line.startswith(_BODY_OPENERS) or fold(line).startswith("kinh gui"):
            break
        parts.append(line)
    return at, _clean(" ".join(parts), "subject")


def _recipients(lines: list[str], start: int) -> tuple[int, list[str]]:
    """The "Kính gửi:" list; returns where it ends (0 when there is none) and its items."""
    at = next((i for i in range(start, min(len(lines), start + 40)) if fold(lines[i]).startswith("kinh gui")), None)
    if at is None:
        return 0, []
    items: list[str] = []
    first = lines[at].split(":", 1)[1].strip() if ":" in lines[at] else ""
    if first:
        items.append(first)
    end = at + 1
    for i in range(at + 1, len(lines)):
        line = lines[i]
        end = i
        if not line:
            if items:
                break
            continue
        if _BULLET.match(line) and line.lstrip()[:1] in "-–—•+*":
            items.append(_BULLET.sub("", line, count=1))
        elif items and not items[-1].endswith((";", ".", ":")) and line[:1].islower():
            items[-1] += " " + line  # a recipient wrapped onto the next line
        elif first and not items[1:] and not first.endswith((";", ".")) and line[:1].islower():
            items[-1] += " " + line
        else:
            break
        end = i + 1
    cleaned = [_clean(item.strip().rstrip(";.,").strip(), "recipient") for item in items]
    return end, [c for c in cleaned if c]


def _tail(lines: list[str]) -> tuple[int, int]:
    """Where the body ends ("Nơi nhận:" or the signature) and where the signature block begins."""
    noi_nhan = next((i for i in range(len(lines) - 1, -1, -1) if fold(lines[i]).startswith("noi nhan")), None)
    name_at = _signer_name_at(lines)
    signer_start = name_at if name_at is not None else len(lines)
    if name_at is not None:
        i = name_at - 1
        while i >= 0 and (not lines[i] or _upper(lines[i]) or _SIGN_MARK.match(lines[i])):
            if lines[i] and _upper(lines[i]):
                signer_start = i
            i -= 1
    body_end = noi_nhan if noi_nhan is not None else signer_start
    return min(body_end, signer_start), signer_start


def _is_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 6 and all(w[0].isupper() and (len(w) == 1 or w[1:].islower()) and w.isalpha()
                                        for w in words)


def _signer_name_at(lines: list[str]) -> int | None:
    seen = 0
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i] or _SIGN_MARK.match(lines[i]):
            continue
        if _is_name(lines[i]):
            return i
        seen += 1
        if seen >= 3:
            return None
    return None


def _signer(lines: list[str], signer_start: int) -> tuple[str | None, str | None]:
    name_at = _signer_name_at(lines)
    if name_at is None:
        return None, None
    titles = [line for line in lines[signer_start:name_at] if line and _upper(line)]
    title = " - ".join(titles) if titles else None
    return _clean(lines[name_at], "signer"), _clean(title, "signer_title") if title else None


def _issuer_from_body(body: str, place: str | None) -> str | None:
    """No header (the Cần Thơ seed): the body's "Văn phòng Ủy ban nhân dân thành phố đề nghị …", with the place."""
    m = _ISSUER_IN_BODY.search(body)
    if not m:
        return None
    rest = m.group("rest").strip()
    name = rest if rest and all(w[:1].isupper() for w in rest.split()) else place
    if not name:
        return None
    office = "Văn phòng " if m.group("office") else ""
    return _clean(f"{office}UBND {m.group('level')} {name}", "issuer")


# --- the managing unit ----------------------------------------------------------------------------------------
def _managing_unit(body: str) -> ManagingUnitDraft | None:
    emails = list(dict.fromkeys(e for e in (_email(m.group()) for m in _EMAIL.finditer(body)) if e))
    m = _MANAGER.search(body)
    if m:
        name = _clean(m.group("name").strip(" ,.-"), "unit_name")
        near = body[m.end() : m.end() + 600]
        address = _ADDRESS.search(near)
        phone = _PHONE.search(near)
        if name:
            return ManagingUnitDraft(
                name, _clean(address.group("v").strip(" ,."), "address") if address else None,
                _clean(phone.group("v"), "phone") if phone else None, emails)
    m = _MANAGER_OF.search(body)
    if m and (name := _clean(m.group("name"), "unit_name")):
        return ManagingUnitDraft(name, None, None, emails)
    return None


def _email(text: str) -> str | None:
    try:
        return email(text.rstrip("."))
    except Invalid:
        return None


# --- channels ------------------------------------------------------------------------------------------------
def _sentences(body: list[str]) -> list[_Sentence]:
    """The body as sentences: paragraphs and list items joined across line breaks, split after ". " (not after
    "TP." and its kind); an item inherits what the line introducing its list said ("các trang giả mạo sau:")."""
    segments: list[tuple[str, bool]] = []
    current: list[str] = []
    bullet = False
    for line in body:
        starts_item = bool(_BULLET.match(line))
        if not line or starts_item:  # (not after "địa chỉ:": a PDF may wrap the line right before the link)
            if current:
                segments.append((" ".join(current), bullet))
            current, bullet = ([line] if line else []), starts_item
            continue
        current.append(line)
    if current:
        segments.append((" ".join(current), bullet))
    out: list[_Sentence] = []
    inherited = ""
    for text, is_bullet in segments:
        if not is_bullet:
            inherited = ""
        for sentence in _split_sentences(text):
            out.append(_Sentence(sentence, is_bullet, inherited if is_bullet else ""))
        if text.endswith(":"):
            intro = text.rsplit(". ", 1)[-1]
            inherited = "fake" if _FAKE.search(intro) else "retire" if _RETIRE.search(intro) else inherited
    return out


def _split_sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in re.finditer(r"[.!?](?=\s+[A-ZĐÀ-Ỹ\"“(])", text):
        word = re.split(r"[\s(]", text[start : m.start()])[-1].lower()
        if word in _ABBREVIATIONS or len(word) <= 1 or word.isdigit():
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


@dataclass
class _Found:
    text: str  # as written
    start: int
    end: int
    link: Link | None
    error: LinkError | None


def _links_in(sentence: str) -> list[_Found]:
    """Every link and handle in a sentence, e-mail addresses excepted; each through the link rules."""
    masked = _EMAIL.sub(lambda m: " " * len(m.group()), sentence)
    found: list[_Found] = []
    for m in _LINK.finditer(masked):
        text = m.group().rstrip(_TRAILING)
        if text.count("(") < text.count(")"):
            text = text.rstrip(")")
        try:
            found.append(_Found(text, m.start(), m.start() + len(text), parse_link(text), None))
        except LinkError as exc:
            found.append(_Found(text, m.start(), m.start() + len(text), None, exc))
    for m in _HANDLE.finditer(masked):
        before = masked[: m.start()]
        platform = _nearest_platform(before, (Platform.TIKTOK, Platform.YOUTUBE))
        if platform is None:
            continue
        handle = m.group().rstrip(_TRAILING)
        host = "www.tiktok.com" if platform == Platform.TIKTOK else "www.youtube.com"
        try:
            link = parse_link(f"https://{host}/{handle}")
            found.append(_Found(handle, m.start(), m.start() + len(handle), link, None))
        except LinkError as exc:
            found.append(_Found(handle, m.start(), m.start() + len(handle), None, exc))
    return sorted(found, key=lambda f: f.start)


def _nearest_platform(text: str, platforms: tuple[str, ...]) -> str | None:
    best: tuple[int, str] | None = None
    for platform, pattern in _PLATFORM_WORDS:
        if platform not in platforms:
            continue
        for m in pattern.finditer(text):
            if best is None or m.start() > best[0]:
                best = (m.start(), platform)
    return best[1] if best else None


def _clause(sentence: str, start: int, end: int, previous_end: int = 0) -> tuple[str, str]:
    """The text before a link within its clause (after the last ";", and after the link before it), and the
    whole clause."""
    left = sentence.rfind(";", 0, start) + 1
    right = sentence.find(";", end)
    right = len(sentence) if right < 0 else right
    return sentence[max(left, previous_end):start], sentence[left:right]


def _channel_name(before: str) -> str | None:
    """The name the notice gives a channel: "… có tên (là) X, địa chỉ: …", or the words that introduce it."""
    text = _BULLET.sub("", before.strip(), count=1).strip()
    quoted = re.findall(r"[“\"]([^”\"]{2,120})[”\"]", text)
    if quoted:
        return _clean(quoted[-1].strip(), "name")
    m = _NAMED.search(text)
    if m:
        return _clean(m.group("name").strip(" “”\"',:-"), "name")
    text = _CONNECTOR_TAIL.sub("", text).strip(" “”\"',:-")
    # After the last of several links in one clause ("…/a, …/b"): what follows the previous link only.
    text = re.split(r"(?i)\b(?:và|hoặc)\s*$", text)[0].strip(" ,")
    if not text:
        return None
    if not _CHANNEL_NOUN.match(text) or len(text.split()) > 12:
        # "… thông báo ra mắt kênh YouTube chính thức": the name starts at the last word for a channel.
        nouns = list(_CONTAINER_NOUN.finditer(text)) or list(_CHANNEL_NOUN.finditer(text))
        if not nouns:
            return None
        text = text[nouns[-1].start() :]
        if len(text.split()) > 12:
            return None
    text = text[:1].upper() + text[1:]
    return _clean(text, "name")


def _channels(draft: Draft, body: list[str]) -> None:
    sentences = _sentences(body)
    by_url: dict[str, DraftChannel] = {}
    pending_dates: list[tuple[str, set[str]]] = []  # live-from dates of sentences without a link of their own
    newish: set[str] = set()  # channels announced as new ("trang mới")
    for s in sentences:
        found = _links_in(s.text)
        dates = [d for d in (_iso(m) for m in _LIVE_FROM.finditer(s.text)) if d]
        replaced_by = _REPLACED_BY.search(s.text)
        replaces = _REPLACES.search(s.text)
        announced_here: list[DraftChannel] = []
        olds: list[DraftChannel] = []
        news: list[DraftChannel] = []
        previous_end = 0
        for f in found:
            before, clause = _clause(s.text, f.start, f.end, previous_end)
            previous_end = f.end
            if s.inherited == "fake" or _FAKE.search(clause):
                draft.refused_links.append(RefusedLink(f.text, "named_fake"))
                continue
            if f.link is None:
                assert f.error is not None
                draft.refused_links.append(RefusedLink(f.text, f.error.code, f.error.detail))
                continue
            link = f.link
            if link.platform == Platform.PORTAL and (_CONTACT.search(before) or not _PORTAL_ANNOUNCED.search(before)):
                draft.contacts.append(link.url)  # the unit's own website, or a page of it: a contact
                continue
            channel = by_url.get(link.url)
            if channel is None:
                channel = by_url[link.url] = DraftChannel(link.platform, _channel_name(before), link.url, f.text)
            elif channel.name is None:
                channel.name = _channel_name(before)
            if re.search(r"(?i)\bmới\b", before):
                newish.add(link.url)
            if (replaced_by and f.start < replaced_by.start()) or (replaces and f.start > replaces.start()):
                olds.append(channel)
            elif replaced_by or replaces:
                news.append(channel)
            elif s.inherited == "retire" or _RETIRE.search(clause):
                channel.status = "retired"
            else:
                announced_here.append(channel)
        for old in olds:
            successor = next((n for n in news if n.platform == old.platform), news[0] if news else None)
            old.status = "superseded" if successor else "retired"
            old.superseded_by = successor.url if successor else None
        for channel in (*announced_here, *news):
            channel.status = "active"
            if dates and channel.live_from is None:
                channel.live_from = dates[0]
        if dates and not announced_here and not news:
            pending_dates.append((dates[0], {p for p, pattern in _PLATFORM_WORDS if pattern.search(s.text)}))
    channels = list(by_url.values())
    for day, platforms in pending_dates:
        targets = [c for c in channels if c.status == "active" and c.live_from is None]
        chosen = [c for c in targets if c.platform in platforms] or (targets if not platforms else [])
        for c in chosen:
            c.live_from = day
    for c in channels:  # "trang cũ … dừng hoạt động" in one sentence, "trang mới …" in another
        if c.status == "retired" and c.superseded_by is None:
            successor = next((n for n in channels if n.status == "active" and n.platform == c.platform
                              and n.url in newish), None)
            if successor:
                c.status, c.superseded_by = "superseded", successor.url
    draft.channels = channels
    draft.contacts = list(dict.fromkeys(draft.contacts))


def _iso(m: re.Match[str]) -> str | None:
    try:
        y, mo, d = check_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except Invalid:
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


# --- the unit ---------------------------------------------------------------------------------------------------
def _resolve(draft: Draft, places: Gazetteer) -> None:
    """The unit from the issuer's province, else the place; a notice from before the merger of its province
    belongs to the former province (Bến Tre's 2021 fanpage is filed under old_ben_tre)."""
    names = [m.group("n").strip() for part in (draft.issuer or "").split(" - ")
             for m in _PROVINCE_IN.finditer(part)]
    if draft.place:
        names.append(draft.place)
    for text in (draft.subject, draft.managing_unit.name if draft.managing_unit else None):
        names += [m.group("n").strip() for m in _PROVINCE_IN.finditer(text or "")]
    place = None
    for name in names:
        found = places.resolve(name)
        if found.status is Status.FOUND and found.place and not found.corrected:
            place = found.place
            break
    if place is None:
        return
    unit = places.unit_of(place)
    draft.unit = PlaceRef(unit.slug, unit.full_name)
    if _before_merger(draft) and places.merged_members(unit):
        former: Place | None = place if place.is_former else next(
            (p for p in places.members(unit) if p.name == unit.name), None)
        if former is not None:
            draft.former_province = PlaceRef(former.slug, former.full_name)


def _before_merger(draft: Draft) -> bool:
    if draft.year is None:
        return False
    if draft.month is None:
        return draft.year < MERGER.year
    return date(draft.year, draft.month, draft.day or 1) < MERGER if draft.day else (
        (draft.year, draft.month) < (MERGER.year, MERGER.month))


def _clean(value: str | None, kind: str) -> str | None:
    """A field as bot.validate would store it, or None when it refuses it (then the field is "missing")."""
    try:
        return optional_text(value, kind)
    except Invalid:
        return None
