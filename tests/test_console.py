"""The console front-end end to end, as a user runs it: a subprocess with piped stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import decode_qr

ROOT = Path(__file__).resolve().parent.parent


def run_console(tmp_path: Path, stdin: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), BOT_MEDIA_DIR=str(tmp_path / "media"))
    done = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60, check=True)
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def image_paths(output: str) -> list[Path]:
    return [Path(line.removeprefix("[image] ")) for line in output.splitlines() if line.startswith("[image] ")]


def test_channels_can_tho_prints_links_source_and_a_scannable_image(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/channels cần thơ\n")  # no token, no subcommand: the console
    lines = out.splitlines()
    assert lines[0] == "Kênh thông tin chính thức — Thành phố Cần Thơ"  # the answer first
    assert "https://www.facebook.com/congthongtincantho" in lines
    assert "https://zalo.me/3460461954401350861" in lines
    assert "Văn phòng UBND thành phố Cần Thơ" in out and "11/2025" in out
    [png] = image_paths(out)
    assert decode_qr(png.read_bytes()) == ["https://www.facebook.com/congthongtincantho",
                                           "https://zalo.me/3460461954401350861"]


def test_ben_tre_explains_the_merger_and_its_notice(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/channels ben tre\n/notice bến tre\n", "console")
    channels, notice = out.split("[image]", 1)[0], out
    assert "Bến Tre (cũ) đã hợp nhất vào Vĩnh Long từ ngày 01/07/2025." in channels
    assert "https://www.facebook.com/cttdtbentre" in channels
    for fact in ("…/BBT-TTTTĐT", "12/2021", "Trung tâm Thông tin điện tử Bến Tre - Văn phòng UBND tỉnh",
                 "số 07 đường Cách Mạng Tháng Tám, phường An Hội, thành phố Bến Tre, tỉnh Bến Tre",
                 "02753.827529", "banbientap-bentre@chinhphu.vn", "banbientap@bentre.gov.vn", "Nguyễn Văn Mến"):
        assert fact in notice


def test_every_kind_of_bad_input_gets_an_answer_and_the_session_goes_on(tmp_path: Path) -> None:
    out = run_console(tmp_path, "\n".join([
        "/channels xyzzy", "/channels qn", "/verify https://facebook.com@evil.example", "/verify", "/nonsense",
        "/verify https://zalo.me/3460461954401350861", "/", "hello there", "/help",
    ]) + "\n", "console")
    assert "Không tìm thấy" in out
    assert "/channels quang_ninh" in out and "/channels old_quang_nam" in out
    assert "⛔" in out and "tên@" in out
    assert "/verify https://zalo.me/" in out  # usage for an empty /verify
    assert "/nonsense" in out
    assert "✅ CHÍNH THỨC — Thành phố Cần Thơ" in out
    assert out.rstrip().endswith("/import, /admins, /grant, /revoke")  # /help, the last line, was answered


def test_the_unit_menu_pages_through_all_34_by_number(tmp_path: Path) -> None:
    # Page 1: 12 units, then "13. Sau »"; page 2: 12 units, "13. « Trước", "14. Sau »"; page 3: the last 10.
    out = run_console(tmp_path, "/channels\n13\n14\n1\n", "console")
    pages = out.split("Trang ")
    slugs = re.findall(r"^[0-9]+\. .* — /channels ([a-z_]+)$", out, re.MULTILINE)
    assert len(pages) >= 4 and len(set(slugs)) == 34
    assert "13. Sau » — /units 2" in out and "14. Sau » — /units 3" in out
    # "1" on the last page picks its first unit: that unit's card.
    assert "Kênh thông tin chính thức — " in out.split("Trang 3/3", 1)[1]


def test_invalid_utf8_on_stdin_is_replaced_not_fatal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), BOT_MEDIA_DIR=str(tmp_path / "media"))
    stdin = b"/channels c\xe1n th\xff\n/channels can tho\n"
    done = subprocess.run([sys.executable, "-m", "bot", "console"], input=stdin, capture_output=True,
                          env=env, cwd=ROOT, timeout=60, check=True)
    out = done.stdout.decode()
    assert "Traceback" not in out + done.stderr.decode()
    assert "https://zalo.me/3460461954401350861" in out  # the line after the bad bytes is still answered
