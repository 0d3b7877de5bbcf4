"""User-facing strings, Vietnamese first, English for clients whose language starts with "en".

The sentences live in one resource per language, `vi.toml` and `en.toml` next to this file: flat keys, in the
same order in both. They are read once, when this module is imported, and checked against each other: the same
keys in both files, the same {placeholders} in both languages of a key, no empty string. A resource that fails
the check stops the import with a ResourceError naming the file and the key(s), rather than a KeyError (or a
sentence in the wrong language) in front of a user later. `t` itself is a dictionary lookup.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from string import Formatter

VI, EN = "vi", "en"
HERE = Path(__file__).resolve().parent


class ResourceError(ValueError):
    """A language resource that cannot be read or does not match the other one."""


def lang_of(language_code: str | None) -> str:
    return EN if (language_code or "").lower().startswith("en") else VI


def placeholders(text: str) -> frozenset[str]:
    """The names of `text`'s {placeholders} ("{url}", "{name!r}", "{a.b}" → "url", "name", "a"); "" stands for a
    positional one ("{}", "{0}"), which `t` never fills. Raises ValueError on a stray brace."""
    names = set()
    for _, field, _, _ in Formatter().parse(text):
        if field is not None:
            root = field.split(".", 1)[0].split("[", 1)[0]
            names.add("" if not root or root.isdigit() else root)
    return frozenset(names)


def check(vi: Mapping[str, object], en: Mapping[str, object], *, vi_file: str = "vi.toml",
          en_file: str = "en.toml") -> dict[str, tuple[str, str]]:
    """Both languages' strings as {key: (Vietnamese, English)}, in Vietnamese's order, once they agree.

    Vietnamese is the reference: a key it lacks is extra in the English file. Every problem found is listed in
    the one ResourceError raised, each line naming its file and key(s)."""
    problems: list[str] = []
    missing = [key for key in vi if key not in en]
    extra = [key for key in en if key not in vi]
    if missing:
        problems.append(f"{en_file}: missing key(s) that {vi_file} has: {', '.join(missing)}")
    if extra:
        problems.append(f"{en_file}: extra key(s) that {vi_file} does not have: {', '.join(extra)}")
    found: dict[str, tuple[str, str]] = {}
    for key in vi:
        if key not in en:
            continue
        texts: list[str] = []
        names: list[frozenset[str] | None] = []
        for file, value in ((vi_file, vi[key]), (en_file, en[key])):
            if not isinstance(value, str):
                problems.append(f"{file}: {key} is not a string (a {type(value).__name__})")
                continue
            if not value.strip():
                problems.append(f"{file}: {key} is empty")
            try:
                fields = placeholders(value)
            except ValueError as e:
                problems.append(f"{file}: {key} is not a valid format string ({e})")
                fields = None
            if fields is not None and "" in fields:
                problems.append(f"{file}: {key} has a positional placeholder; t() fills named ones only")
            texts.append(value)
            names.append(fields)
        if len(texts) == 2 and names[0] is not None and names[1] is not None and names[0] != names[1]:
            shown = ["{" + "}, {".join(sorted(n)) + "}" if n else "none" for n in (names[0], names[1])]
            problems.append(f"{key}: placeholders differ: {shown[0]} in {vi_file}, {shown[1]} in {en_file}")
        if len(texts) == 2:
            found[key] = (texts[0], texts[1])
    if problems:
        raise ResourceError("language resources do not match:\n  " + "\n  ".join(problems))
    return found


def read(path: Path) -> dict[str, object]:
    """One resource file's mapping; a file that is missing or not TOML is a ResourceError naming it."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ResourceError(f"{path}: {e}") from e


def load(directory: Path = HERE) -> dict[str, tuple[str, str]]:
    """The strings of `directory`'s vi.toml and en.toml, checked (see `check`)."""
    vi_path, en_path = directory / f"{VI}.toml", directory / f"{EN}.toml"
    return check(read(vi_path), read(en_path), vi_file=str(vi_path), en_file=str(en_path))


_STRINGS: dict[str, tuple[str, str]] = load()


def t(key: str, lang: str, **kwargs: object) -> str:
    vi, en = _STRINGS[key]
    text = en if lang == EN else vi
    return text.format(**kwargs) if kwargs else text


def bilingual(key: str, sep: str = " / ", **kwargs: object) -> str:
    """Both languages in one string, Vietnamese first ("Nguồn / Source"): for what one image shows everyone."""
    return f"{t(key, VI, **kwargs)}{sep}{t(key, EN, **kwargs)}"


def describe_row(kind: str, number: int, lang: str) -> str:
    return t(f"import_row_{kind}", lang, n=number)


def describe_refusal(code: str, detail: str, link_code: str, link_detail: str, lang: str) -> str:
    """An import row's refusal as a sentence; a refused link also says why, as /verify would."""
    reason = t(f"import_{code}", lang, detail=detail)
    return f"{reason}: {t(f'link_{link_code}', lang, detail=link_detail)}" if link_code else reason


def has(key: str) -> bool:
    return key in _STRINGS
