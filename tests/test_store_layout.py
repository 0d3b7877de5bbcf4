"""bot/store/ is the only place that knows SQL: no other module of bot/ or handlers/ holds a SQL statement in a
string literal (tests/ and bench/ may: they poke at files directly)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"SELECT |INSERT INTO|UPDATE |DELETE FROM|CREATE TABLE")


def sql_literals(path: Path) -> list[str]:
    """`path:line: literal` for each string literal (f-strings' text parts included) that looks like SQL."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        is_string = tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", None)
        if is_string and SQL.search(tok.string):
            found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string[:60]}")
    return found


def outside_store() -> list[Path]:
    store = ROOT / "bot" / "store"
    files = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]
    return sorted(p for p in files if store not in p.parents)


def test_no_sql_outside_the_store() -> None:
    files = outside_store()
    assert len(files) > 20 and ROOT / "bot" / "changes.py" in files  # the scan does see the code
    assert [hit for path in files for hit in sql_literals(path)] == []


def test_the_scan_finds_sql() -> None:
    store = ROOT / "bot" / "store"
    assert sql_literals(store / "channels.py") and sql_literals(store / "schema.py")
    assert not (ROOT / "bot" / "store.py").exists()  # one package, not a module beside it
