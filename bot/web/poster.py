"""The printable poster: an A4 PDF per unit with large QR codes, full links, the source notice and its date.

Be Vietnam Pro is embedded (subset), so the text layer has the unit's name with its diacritics. Up to four
channels a page, two by two, each QR 80 mm wide: a scanner reads it from several metres. The PDF is
deterministic (fixed creation date), so its ETag changes only when what it shows does.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import fontpkg_be_vietnam_pro
from fpdf import FPDF

from bot.cards import qr_image
from bot.i18n import VI, t
from bot.places import Place
from bot.services import format_date, notice_reference

if TYPE_CHECKING:
    from bot.web.site import UnitPage

logging.getLogger("fontTools").setLevel(logging.WARNING)  # its subsetter logs every glyph at INFO
FONTS = fontpkg_be_vietnam_pro.ROOT / "files"
PER_PAGE = 4


def _pdf() -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(2025, 7, 1, tzinfo=UTC))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(15, 15, 15)
    pdf.add_font("BeVietnamPro", "", str(FONTS / "BeVietnamPro-Regular.ttf"))
    pdf.add_font("BeVietnamPro", "B", str(FONTS / "BeVietnamPro-Bold.ttf"))
    return pdf


def render_poster(unit: Place, page: UnitPage, public_url: str = "") -> bytes:
    """The poster, in Vietnamese: it is printed for the province's own offices."""
    pdf = _pdf()
    pdf.set_title(t("unit_title", VI, name=unit.full_name))
    pdf.set_author("Kênh Chính Thức")
    rows = page.rows or []
    chunks = [rows[i : i + PER_PAGE] for i in range(0, len(rows), PER_PAGE)] or [[]]
    for number, chunk in enumerate(chunks, 1):
        pdf.add_page()
        pdf.set_font("BeVietnamPro", "B", 15)
        pdf.set_text_color(138, 28, 28)
        pdf.cell(0, 8, t("poster_heading", VI), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("BeVietnamPro", "B", 26)
        pdf.multi_cell(0, 12, unit.full_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
        if page.view.merged:
            pdf.set_font("BeVietnamPro", "", 11)
            names = ", ".join(p.name for p in page.view.merged)
            pdf.multi_cell(0, 6, t("includes", VI, names=names), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("BeVietnamPro", "B", 18)
        pdf.cell(0, 12, t("web_cta", VI), align="C", new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + 2
        if not chunk:
            pdf.set_font("BeVietnamPro", "", 14)
            pdf.multi_cell(0, 8, t("poster_no_channels", VI, name=unit.name), align="C")
        single = len(chunk) == 1
        size = 110.0 if single else 80.0
        for i, row in enumerate(chunk):
            col, line = (i % 2, i // 2) if not single else (0, 0)
            width = 180.0 if single else 90.0
            x = 15 + col * width
            y = top + line * (size + 34)
            buf = io.BytesIO()
            qr_image(row.url).save(buf, format="PNG")
            pdf.image(buf, x=x + (width - size) / 2, y=y, w=size, h=size)
            pdf.set_xy(x, y + size + 1)
            pdf.set_font("BeVietnamPro", "B", 13)
            pdf.multi_cell(width, 6, f"{row.platform}: {row.name}", align="C", new_x="LEFT", new_y="NEXT")
            pdf.set_font("BeVietnamPro", "", 11)
            pdf.multi_cell(width, 5.5, row.url, align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(15, 250)
        pdf.set_font("BeVietnamPro", "", 9)
        for n in page.view.notices:
            pdf.multi_cell(180, 4.5, t("source", VI, notice=f"{notice_reference(n, VI)} — {n.subject}"),
                           new_x="LMARGIN", new_y="NEXT")
        if page.view.as_of:
            pdf.cell(90, 5, t("as_of", VI, date=format_date(page.view.as_of)))
        if len(chunks) > 1:
            pdf.cell(90, 5, t("page", VI, page=number, pages=len(chunks)), align="R")
        pdf.ln(5)
        if public_url:
            pdf.cell(180, 5, f"{public_url}/don-vi/{unit.slug}/")
    return bytes(pdf.output())
