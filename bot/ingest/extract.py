"""Text out of a notice file: plain text and Markdown as they are, a PDF's text layer, a .docx's paragraphs and
tables. No network, no OCR: a scanned PDF without a text layer is refused with a clear reason.

Tables (a notice's header and signature block are usually two-column tables) come out column by column: the
issuer's column, then the motto's; "Nơi nhận" then the signer. That is the order the reader expects.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

MAX_BYTES = 5 * 1024 * 1024
FORMATS = (".txt", ".md", ".pdf", ".docx")


class UnreadableFile(ValueError):
    """A file we cannot read text from. `code` names the sentence (i18n `ingest_<code>`)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def file_format(name: str, content: bytes) -> str:
    """".txt", ".md", ".pdf" or ".docx" from the name, or from the content when the name says nothing."""
    suffix = PurePath(name).suffix.lower()
    if suffix in FORMATS:
        return suffix
    if content.startswith(b"%PDF-"):
        return ".pdf"
    if content.startswith(b"PK\x03\x04"):
        return ".docx"
    if not suffix:
        return ".txt"
    raise UnreadableFile("bad_format", suffix[:10])


def extract_text(name: str, content: bytes) -> str:
    """The text of a notice file, or UnreadableFile saying why there is none."""
    if len(content) > MAX_BYTES:
        raise UnreadableFile("too_big")
    kind = file_format(name, content)
    if kind == ".pdf":
        return _pdf(content)
    if kind == ".docx":
        return _docx(content)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile("not_utf8") from exc


def _pdf(content: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise UnreadableFile("encrypted")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        if isinstance(exc, UnreadableFile):
            raise
        raise UnreadableFile("bad_pdf") from exc
    if sum(ch.isalpha() for ch in text) < 20:
        raise UnreadableFile("no_text_layer")  # a scan: pictures of text, nothing to read without OCR
    return text


def _docx(content: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile("bad_docx") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
            lines.append("")
    return "\n".join(lines)


def _table_lines(table: object) -> list[str]:
    """A table's text column by column; merged cells (the same cell object twice) once."""
    rows = table.rows  # type: ignore[attr-defined]
    width = max((len(r.cells) for r in rows), default=0)
    lines: list[str] = []
    seen: set[int] = set()
    for col in range(width):
        for row in rows:
            cells = row.cells
            if col >= len(cells) or id(cells[col]._tc) in seen:
                continue
            seen.add(id(cells[col]._tc))
            lines.extend(p.text for p in cells[col].paragraphs)
        lines.append("")
    return lines
