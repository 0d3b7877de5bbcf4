"""The language resources: bot/i18n/vi.toml and en.toml, checked against each other at import, and every key the
code asks for by name is in them."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from bot import i18n
from bot.config import ROOT
from bot.i18n import EN, VI, ResourceError, bilingual, check, load, placeholders, t

RESOURCES = Path(i18n.__file__).parent


def copy_resources(tmp_path: Path) -> tuple[Path, Path]:
    for name in ("vi.toml", "en.toml"):
        shutil.copy(RESOURCES / name, tmp_path / name)
    return tmp_path / "vi.toml", tmp_path / "en.toml"


def drop_key(path: Path, key: str) -> None:
    """Remove one single-line `key = "…"` entry from a resource file."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"{key} = ")]
    assert len(kept) == len(lines) - 1, key
    path.write_text("".join(kept), encoding="utf-8")


def test_the_shipped_resources_load_and_agree() -> None:
    strings = load()
    assert strings == i18n._STRINGS
    assert len(strings) > 300
    vi = tomllib.loads((RESOURCES / "vi.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((RESOURCES / "en.toml").read_text(encoding="utf-8"))
    assert list(vi) == list(en), "both files list the keys in the same order"
    assert t("welcome", VI, covered=3).startswith("Xin chào!") and "3 trên 34" in t("welcome", VI, covered=3)
    assert t("welcome", EN, covered=3).startswith("Hello!") and "3 of the 34" in t("welcome", EN, covered=3)
    assert t("link_backslash", VI) == "Đường dẫn chứa dấu “\\” — thường dùng để đánh lừa trình duyệt."
    assert t("import_bad_format", EN, detail="x") == 'the file must have "format": "x" (made by /export)'


def test_a_key_missing_from_one_language_is_refused_naming_key_and_file(tmp_path: Path) -> None:
    _, en = copy_resources(tmp_path)
    drop_key(en, "help_title")
    with pytest.raises(ResourceError, match=r"en\.toml: missing key\(s\).*help_title"):
        load(tmp_path)


def test_a_key_missing_from_vietnamese_is_an_extra_key_of_english(tmp_path: Path) -> None:
    vi, _ = copy_resources(tmp_path)
    drop_key(vi, "prev")
    with pytest.raises(ResourceError, match=r"en\.toml: extra key\(s\).*\bprev\b"):
        load(tmp_path)


def test_an_extra_key_is_refused_naming_key_and_file(tmp_path: Path) -> None:
    _, en = copy_resources(tmp_path)
    with en.open("a", encoding="utf-8") as f:
        f.write('only_in_english = "Hello"\n')
    with pytest.raises(ResourceError, match=r"en\.toml: extra key\(s\).*only_in_english") as raised:
        load(tmp_path)
    assert str(tmp_path / "en.toml") in str(raised.value)


def test_mismatched_placeholders_are_refused_naming_the_key_and_both_sets(tmp_path: Path) -> None:
    _, en = copy_resources(tmp_path)
    text = en.read_text(encoding="utf-8")
    assert text.count('granted = "{user} is now an admin."') == 1
    en.write_text(text.replace('granted = "{user} is now an admin."', 'granted = "{name} is now an admin."'),
                  encoding="utf-8")
    with pytest.raises(ResourceError, match=r"granted: placeholders differ: \{user\} in .*vi\.toml, \{name\} in "
                                            r".*en\.toml"):
        load(tmp_path)


def test_a_placeholder_dropped_in_one_language_is_refused() -> None:
    with pytest.raises(ResourceError, match=r"as_of: placeholders differ: \{date\} in vi\.toml, none in en"):
        check({"as_of": "Cập nhật: {date}"}, {"as_of": "As of: recently"})


def test_empty_and_non_string_values_are_refused() -> None:
    with pytest.raises(ResourceError, match=r"en\.toml: a is empty"):
        check({"a": "Một"}, {"a": ""})
    with pytest.raises(ResourceError, match=r"vi\.toml: b is empty"):
        check({"b": "  "}, {"b": "Two"})
    with pytest.raises(ResourceError, match=r"en\.toml: c is not a string \(a dict\)"):
        check({"c": "Ba"}, {"c": {"nested": "Three"}})


def test_broken_format_strings_and_positional_placeholders_are_refused() -> None:
    with pytest.raises(ResourceError, match=r"vi\.toml: a is not a valid format string"):
        check({"a": "Số {n"}, {"a": "Number {n}"})
    with pytest.raises(ResourceError, match=r"en\.toml: b has a positional placeholder"):
        check({"b": "Trang {page}"}, {"b": "Page {}"})


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ResourceError) as raised:
        check({"a": "A {x}", "b": "B", "c": "C"}, {"a": "A {y}", "b": "B", "d": "D"})
    message = str(raised.value)
    assert "missing key(s) that vi.toml has: c" in message and "extra key(s) that vi.toml does not have: d" in message
    assert "a: placeholders differ" in message


def test_a_file_that_is_not_toml_or_is_absent_is_named(tmp_path: Path) -> None:
    vi, en = copy_resources(tmp_path)
    en.write_text('help_title = "How to use\n', encoding="utf-8")
    with pytest.raises(ResourceError, match=re.escape(str(en))):
        load(tmp_path)
    en.unlink()
    with pytest.raises(ResourceError, match=re.escape(str(en))):
        load(tmp_path)
    assert vi.exists()


def test_a_good_pair_loads_in_vietnamese_order() -> None:
    strings = check({"b": "Hai {n}", "a": "Một"}, {"a": "One", "b": "Two {n}"})
    assert list(strings.items()) == [("b", ("Hai {n}", "Two {n}")), ("a", ("Một", "One"))]


def test_placeholders_are_the_field_names() -> None:
    assert placeholders("{a} {b!r} {c:>3} {d.x} {e[0]} {{literal}}") == {"a", "b", "c", "d", "e"}
    assert placeholders("{} {0}") == {""}


def test_t_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("t() opened a file")

    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr("builtins.open", refuse)
    assert t("page", EN, page=2, pages=3) == "Page 2/3"
    assert t("prev", VI) == "« Trước"


def test_bilingual_puts_vietnamese_first() -> None:
    assert bilingual("card_source") == "Nguồn / Source"
    assert bilingual("card_subtitle", sep=" · ") == "Kênh thông tin chính thức · Official channels"
    assert bilingual("card_added_by_admin", date="11/2025") == (
        "Quản trị viên ghi nhận 11/2025, chưa có văn bản / Recorded by an admin 11/2025, no notice yet")


# t("key"…), ctx.t('key'…) with a literal key, or t("a" if … else "b"); keys built at run time (t(f"help_{name}"),
# ctx.t("ask_" + step), Jinja's t("status_" ~ s)) are checked by their prefix only.
CALL = r"""(?<![\w.])(?:ctx\.)?t\(\s*"""
LITERAL = re.compile(CALL + r"""(["'])([A-Za-z0-9_]+)\1\s*[,)]""")
EITHER = re.compile(CALL + r"""(["'])([A-Za-z0-9_]+)\1\s+if\s[^,()]+?\selse\s+(["'])([A-Za-z0-9_]+)\3\s*[,)]""")
PREFIX = re.compile(CALL + r"""(?:f(["'])([A-Za-z0-9_]*)\{|(["'])([A-Za-z0-9_]+)\3\s*[~+])""")
ANY = re.compile(CALL + r"""f?["']""")


def sources() -> list[Path]:
    files = [p for d in ("bot", "handlers") for p in sorted((ROOT / d).rglob("*")) if p.suffix in (".py", ".html")]
    assert any(p.name == "public.py" for p in files) and any(p.name == "unit.html" for p in files)
    return files


def test_every_literal_key_the_code_uses_exists() -> None:
    used: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for path in sources():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        for m in LITERAL.finditer(text):
            used.setdefault(m.group(2), []).append(where)
        for m in EITHER.finditer(text):
            used.setdefault(m.group(2), []).append(where)
            used.setdefault(m.group(4), []).append(where)
        for m in PREFIX.finditer(text):
            prefixes.setdefault(m.group(2) if m.group(1) else m.group(4), []).append(where)
        for m in ANY.finditer(text):  # a call with a string key that none of the patterns read: widen them
            assert any(r.match(text, m.start()) for r in (LITERAL, EITHER, PREFIX)), (where, text[m.start():][:80])
    # The scan sees the code: handlers (ctx.t), the core (t), the templates, and the new card wording.
    assert len(used) > 150
    assert {"welcome", "source", "web_skip", "card_number", "poster_heading", "card_former_channel"} <= set(used)
    assert {"granted", "already_admin", "report_unknown"} <= set(used)
    assert {"help_", "import_row_", "link_", "status_", "ask_", "field_"} <= set(prefixes)
    missing = {key: files for key, files in used.items() if not i18n.has(key)}
    assert not missing, f"keys used in code but in neither resource: {missing}"
    unmatched = {p: files for p, files in prefixes.items() if not any(k.startswith(p) for k in i18n._STRINGS)}
    assert not unmatched, f"key prefixes used in code that no key has: {unmatched}"


def test_the_resources_ship_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "bot.i18n" in project["packages"]
    assert "i18n/*.toml" in project["package-data"]["bot"]
