"""Notice ingestion: the two seed notices read back to exactly the seeded facts, as text, PDF and .docx; our own
notices read to their expected drafts; a confirmed ingestion is on /channels and /notice at once, in /history,
and /undo removes it; non-admins store nothing; the CLI prints the JSON the issue specifies."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import fontpkg_be_vietnam_pro
import pytest
from fpdf import FPDF

from bot.ingest import UnreadableFile, extract_text, read_file, read_notice
from bot.ingest.reader import normalise
from bot.places import Gazetteer
from tests.conftest import DATA_DIR
from tests.fakebot.updates import VI_USER, callback, message
from tests.telegram_harness import Harness
from tests.test_admin import ADMIN, confirm_data, sent, state, texts

NOTICES = Path(__file__).parent / "data" / "notices"
SEEDS = {"ben-tre-2021-fanpage": "ben_tre_2021.txt", "can-tho-2025-facebook-zalo": "can_tho_2025.txt"}
FORMATS = ("txt", "pdf", "docx")
FONT = fontpkg_be_vietnam_pro.ROOT / "files" / "BeVietnamPro-Regular.ttf"


def as_pdf(text: str) -> bytes:
    """The notice printed: its lines (without Markdown) in a Vietnamese font, long ones wrapped by the page."""
    pdf = FPDF()
    pdf.add_font("BVP", "", str(FONT))
    pdf.set_font("BVP", size=10)
    pdf.add_page()
    for line in normalise(text):
        if line:
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(3)
    return bytes(pdf.output())


def as_docx(text: str) -> bytes:
    """The notice as Word writes it: the header (everything above the subject) in a two-column table."""
    import docx

    lines = normalise(text)
    subject_at = next(i for i, line in enumerate(lines) if line.startswith(("V/v", "Về việc")))
    header = [line for line in lines[:subject_at] if line]
    right = [line for line in header if "CỘNG HÒA" in line or "Độc lập" in line or ", ngày" in line]
    left = [line for line in header if line not in right]
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "\n".join(left)
    table.cell(0, 1).text = "\n".join(right)
    for line in lines[subject_at:]:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def seed_facts() -> dict[str, dict[str, Any]]:
    notices = tomllib.loads((DATA_DIR / "notices.toml").read_text(encoding="utf-8"))["notices"]
    return {n["key"]: n for n in notices}


_drafts: dict[tuple[str, str], Any] = {}


def draft_of(key: str, fmt: str, gazetteer: Gazetteer) -> Any:
    if (key, fmt) not in _drafts:
        text = (NOTICES / SEEDS[key]).read_text(encoding="utf-8")
        content = {"txt": text.encode(), "pdf": as_pdf(text) if fmt == "pdf" else b"",
                   "docx": as_docx(text) if fmt == "docx" else b""}[fmt]
        _drafts[key, fmt] = read_file(f"notice.{fmt}", content, gazetteer)
    return _drafts[key, fmt]


# --- the seed, field by field, in every format ---------------------------------------------------------------
SEED_CASES = [(key, fmt) for key in SEEDS for fmt in FORMATS]


@pytest.fixture(params=SEED_CASES, ids=[f"{k}-{f}" for k, f in SEED_CASES])
def seed(request: pytest.FixtureRequest, gazetteer: Gazetteer) -> tuple[Any, dict[str, Any]]:
    key, fmt = request.param
    return draft_of(key, fmt, gazetteer), seed_facts()[key]


def test_seed_place(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.place_slug == facts["place"]


def test_seed_issuer(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.issuer == facts["issuer"]


def test_seed_number_as_written_and_blank_before_the_slash(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.number == "/" + facts["number_suffix"]
    assert draft.number_parts() == (facts.get("number"), facts["number_suffix"])
    assert "number.before_slash" in draft.missing


def test_seed_date_with_the_day_left_blank(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert (draft.year, draft.month, draft.day) == (facts["year"], facts["month"], facts.get("day"))
    assert "date.day" in draft.missing


def test_seed_location(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.place == facts["location"]


def test_seed_subject(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.subject == facts["subject"]


def test_seed_recipients(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert draft.recipients == facts["recipients"]


def test_seed_signer(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    assert (draft.signer_name, draft.signer_title) == (facts["signer"], facts["signer_title"])


def test_seed_managing_unit(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    m, expected = draft.managing_unit, facts["managing_unit"]
    assert (m.name, m.address, m.phone, m.emails) == (
        expected["name"], expected.get("address"), expected.get("phone"), expected.get("emails", []))


def test_seed_channels(seed: tuple[Any, dict]) -> None:
    draft, facts = seed
    got = [(c.platform, c.name, c.url, c.as_written, c.live_from, c.status) for c in draft.channels]
    assert got == [(c["platform"], c["name"], c["url"], c["as_written"], c.get("since"), "active")
                   for c in facts["channels"]]


def test_seed_nothing_refused_or_invented(seed: tuple[Any, dict]) -> None:
    draft, _ = seed
    assert draft.refused_links == [] and draft.summary is None
    assert draft.contacts == []  # the e-mail hosts (chinhphu.vn, bentre.gov.vn) are not portals announced


# --- our own notices ---------------------------------------------------------------------------------------------
OWN = sorted(p for p in NOTICES.iterdir() if p.suffix in (".txt", ".md") and p.with_suffix(".expected.json").exists())


def test_at_least_ten_notices_of_our_own() -> None:
    assert len(OWN) >= 10


@pytest.mark.parametrize("path", OWN, ids=[p.stem for p in OWN])
def test_own_notice_reads_to_its_expected_draft(path: Path, gazetteer: Gazetteer) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert read_file(path.name, path.read_bytes(), gazetteer).to_json() == expected


def own(name: str, gazetteer: Gazetteer) -> dict[str, Any]:
    path = NOTICES / name
    return read_file(path.name, path.read_bytes(), gazetteer).to_json()


def test_a_replaced_fanpage_is_superseded_by_its_successor(gazetteer: Gazetteer) -> None:
    old, new = own("da_nang_2025_retire_fanpage.txt", gazetteer)["channels"]
    assert (old["status"], old["superseded_by"]) == ("superseded", new["url"])
    assert (new["status"], new["live_from"], new["name"]) == ("active", "2025-09-15", "Thành phố Đà Nẵng")
    assert old["live_from"] is None  # "dừng hoạt động từ ngày 15/09/2025" is an end, not a start


def test_fakes_and_refused_links_are_never_channels(gazetteer: Gazetteer) -> None:
    draft = own("quang_ninh_2025_hostile.txt", gazetteer)
    assert [c["url"] for c in draft["channels"]] == ["https://www.facebook.com/quangninhportal"]
    reasons = {r["text"]: r["reason"] for r in draft["refused_links"]}
    assert reasons["facebook.com/quangninh.portal.official"] == "named_fake"
    assert reasons["faceb00k.com/quangninhportal"] == "named_fake"
    assert reasons["http://www.facebook.com/quangninhportal"] == "not_https"
    assert reasons["https://l.facebook.com/l.php?u=https://evil.example/"] == "platform_service"


def test_a_former_province_before_the_merger_and_its_website_is_a_contact(gazetteer: Gazetteer) -> None:
    draft = read_file("x.txt", (NOTICES / "bac_lieu_2023_former.txt").read_bytes(), gazetteer)
    assert (draft.unit.slug, draft.former_province.slug, draft.place_slug) == ("ca_mau", "old_bac_lieu",
                                                                                 "old_bac_lieu")
    assert draft.contacts == ["https://stttt.baclieu.gov.vn"]
    assert [c.platform for c in draft.channels] == ["zalo"]


def test_a_province_that_did_not_merge_has_no_former_province(gazetteer: Gazetteer) -> None:
    draft = own("ha_noi_2024_full_number.txt", gazetteer)
    assert draft["former_province"] is None and draft["number"] == "456/TB-UBND"
    assert draft["date"] == {"year": 2024, "month": 8, "day": 20}


def test_windows_line_endings_and_no_break_spaces_read_like_plain_text(gazetteer: Gazetteer) -> None:
    raw = (NOTICES / "tay_ninh_2025_windows_nbsp.txt").read_bytes()
    assert b"\r\n" in raw and "\u00a0".encode() in raw
    plain = raw.decode().replace("\r\n", "\n").replace("\u00a0", " ")
    assert read_notice(raw.decode(), gazetteer).to_json() == read_notice(plain, gazetteer).to_json()


def test_a_number_not_in_the_text_is_never_produced(gazetteer: Gazetteer) -> None:
    text = (NOTICES / "ben_tre_2021.txt").read_text(encoding="utf-8")
    assert "4371" in text  # "Công văn số 4371/UBND-KGVX" in the body is another document's number
    assert read_notice(text, gazetteer).number == "/BBT-TTTTĐT"


def test_a_scanned_pdf_without_text_is_refused_clearly() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a picture, no text
    with pytest.raises(UnreadableFile) as caught:
        extract_text("scan.pdf", bytes(pdf.output()))
    assert caught.value.code == "no_text_layer"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(UnreadableFile) as caught:
        extract_text("notice.odt", b"x")
    assert caught.value.code == "bad_format"


# --- in chat, end to end ------------------------------------------------------------------------------------------
CAN_GIO = """UBND TỈNH BẾN TRE
BAN BIÊN TẬP CÔNG TTĐT

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 12/BBT-TTTTĐT

Bến Tre, ngày 10 tháng 3 năm 2022

V/v vận hành kênh Zalo OA của Cổng Thông tin điện tử tỉnh

Kính gửi: Các sở, ban, ngành tỉnh.
"""
PASTE_BODY = """Zalo OA có tên Cổng TTĐT Bến Tre, địa chỉ: https://zalo.me/5566778899001122334,
chính thức hoạt động từ ngày 01/03/2022.

Nơi nhận:
- Như trên;
- Lưu: VT.

TRƯỞNG BAN

Nguyễn Văn Mến
"""
NEW_ZALO = "https://zalo.me/5566778899001122334"


async def test_ingest_pasted_in_two_messages_then_confirm_channels_notice_history_undo(bot: Harness) -> None:
    await bot.send(message("/ingest", user=ADMIN))
    await bot.send(message(CAN_GIO, user=ADMIN))
    assert "2" in texts(await bot.send(message(PASTE_BODY, user=ADMIN)))
    preview = await bot.send(message("/done", user=ADMIN))
    text = texts(preview)
    assert "XEM TRƯỚC" in text and NEW_ZALO in text and "Cổng TTĐT Bến Tre" in text
    assert "Số: 12/BBT-TTTTĐT" in text and "Tỉnh Bến Tre (old_ben_tre)" in text
    assert await bot.registry.store.channel_by_url(NEW_ZALO) is None  # nothing before Confirm
    await bot.send(callback(confirm_data(preview), user=ADMIN))
    channel = await bot.registry.store.channel_by_url(NEW_ZALO)
    assert channel is not None and channel.place_slug == "old_ben_tre" and channel.since == "2022-03-01"
    cards = texts(await bot.send(message("/channels vĩnh long", user=VI_USER)))
    assert NEW_ZALO in cards and "Hoạt động từ 01/03/2022" in cards
    notices = texts(await bot.send(message("/notice bến tre", user=VI_USER)))
    assert "12/BBT-TTTTĐT" in notices and NEW_ZALO in notices
    history = texts(await bot.send(message("/history vĩnh long", user=ADMIN)))
    assert "đọc văn bản" in history and NEW_ZALO in history
    undo_preview = await bot.send(message("/undo", user=ADMIN))
    assert await bot.registry.store.channel_by_url(NEW_ZALO) is not None  # an undo too waits for its Confirm
    await bot.send(callback(confirm_data(undo_preview), user=ADMIN))
    assert await bot.registry.store.channel_by_url(NEW_ZALO) is None
    assert NEW_ZALO not in texts(await bot.send(message("/channels vĩnh long", user=VI_USER)))
    assert "12/BBT-TTTTĐT" not in texts(await bot.send(message("/notice bến tre", user=VI_USER)))


async def test_set_corrects_a_field_and_voids_the_earlier_preview(bot: Harness) -> None:
    await bot.send(message("/ingest", user=ADMIN))
    await bot.send(message(CAN_GIO + PASTE_BODY, user=ADMIN))
    first = await bot.send(message("/done", user=ADMIN))
    second = await bot.send(message("/set number 99/BBT-TTTTĐT", user=ADMIN))
    assert "Số: 99/BBT-TTTTĐT" in texts(second)
    await bot.send(callback(confirm_data(first), user=ADMIN))
    assert await bot.registry.store.channel_by_url(NEW_ZALO) is None  # the first preview is void
    await bot.send(callback(confirm_data(second), user=ADMIN))
    notices = await bot.registry.store.notices_of(["old_ben_tre"])
    assert any(n.number == "99" and n.number_suffix == "BBT-TTTTĐT" for n in notices)


async def test_a_notice_sent_as_a_docx_with_the_caption_ingest(bot: Harness) -> None:
    content = as_docx(CAN_GIO + "\n" + PASTE_BODY)
    bot.api.files["BQADnotice"] = content
    update = message("", user=ADMIN)
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "BQADnotice", "file_unique_id": "ntc", "file_name": "tb.docx",
                                     "file_size": len(content)}
    update["message"]["caption"] = "/ingest"
    calls = await bot.send(update)
    assert NEW_ZALO in texts(calls) and confirm_data(calls)


async def test_non_admins_are_refused_and_nothing_is_stored(bot: Harness) -> None:
    before = await state(bot)
    for command in ("/ingest", "/done", "/set number 1/X"):
        [reply] = sent(await bot.send(message(command, user=VI_USER)), "sendMessage")
        assert reply.params["text"].startswith("<b>⛔")
    content = (CAN_GIO + PASTE_BODY).encode()
    bot.api.files["BQADx"] = content
    update = message("", user=VI_USER)
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "BQADx", "file_unique_id": "x", "file_name": "tb.txt",
                                     "file_size": len(content)}
    update["message"]["caption"] = "/ingest"
    assert "⛔" in texts(await bot.send(update))
    assert await state(bot) == before and await bot.registry.store.all_audit() == []


async def test_a_link_of_another_unit_is_refused(bot: Harness) -> None:
    other = CAN_GIO.replace("BẾN TRE", "HÀ GIANG").replace("Bến Tre", "Hà Giang") + PASTE_BODY.replace(
        NEW_ZALO, "https://zalo.me/3460461954401350861")  # Cần Thơ's Zalo OA
    await bot.send(message("/ingest", user=ADMIN))
    await bot.send(message(other, user=ADMIN))
    calls = await bot.send(message("/done", user=ADMIN))
    assert "đã được đăng ký cho Thành phố Cần Thơ" in texts(calls)
    with pytest.raises(AssertionError):
        confirm_data(calls)


# --- the CLI ----------------------------------------------------------------------------------------------------
def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["BOT_DB_PATH"] = str(tmp_path / "cli.sqlite3")
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=Path(__file__).resolve().parent.parent, check=False)


def test_cli_json_has_the_keys_the_issue_names(tmp_path: Path) -> None:
    out = cli(tmp_path, "ingest", str(NOTICES / "ben_tre_2021.txt"), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["unit", "former_province", "issuer", "number", "place", "date", "subject", "recipients",
                          "channels", "managing_unit", "signer", "refused_links", "missing"]
    assert list(data["channels"][0]) == ["platform", "name", "url", "as_written", "live_from", "status",
                                         "superseded_by"]
    assert data["former_province"] == {"slug": "old_ben_tre", "name": "Tỉnh Bến Tre"}


def test_cli_apply_is_one_audited_change_and_refuses_another_units_link(tmp_path: Path) -> None:
    notice = tmp_path / "tb.txt"
    notice.write_text(CAN_GIO + PASTE_BODY, encoding="utf-8")
    applied = cli(tmp_path, "ingest", str(notice), "--apply")
    assert applied.returncode == 0 and "applied" in applied.stderr
    again = tmp_path / "tb2.txt"
    again.write_text((CAN_GIO + PASTE_BODY).replace("BẾN TRE", "HÀ GIANG").replace("Bến Tre", "Hà Giang"),
                     encoding="utf-8")
    refused = cli(tmp_path, "ingest", str(again), "--apply")
    assert refused.returncode == 1 and "already registered to Tỉnh Vĩnh Long" in refused.stderr
