"""The plain-text renderer, for front-ends without markup or buttons (the console; Zalo, which shows HTML,
Markdown and link syntax literally).

A Reply becomes text messages: its lines, every link's URL in full, its actions as numbered lines (a bare
number picks one: handlers/dispatch.py), and, for a preview, the words to type to confirm or cancel. Messages
are split between lines to fit a platform's limit (a line longer than the limit is cut).
"""

from __future__ import annotations

from bot.i18n import t
from bot.replies import Reply, actions, to_plain


def render(reply: Reply, lang: str, *, limit: int | None = None) -> list[str]:
    """The reply's text messages, each at most `limit` characters (None: one message)."""
    text = to_plain(reply.lines)
    lines = text.split("\n") if text else []
    for button in reply.buttons:  # a URL button's address, unless the text shows it already
        if button.url not in text:
            lines.append(f"🌐 {button.label}: {button.url}")
    picks = actions(reply, lang)
    if picks:
        lines.append("")
        lines += [f"{i}. {choice.label} — /{choice.command} {choice.arg}".rstrip() for i, choice in
                  enumerate(picks, 1)]
        lines.append(t("pick_hint", lang))
    if reply.confirm is not None:
        lines += ["", t("confirm_typed", lang)]
    return split(lines, limit)


def split(lines: list[str], limit: int | None) -> list[str]:
    """Join lines into messages of at most `limit` characters, breaking between lines; blank edges dropped."""
    if limit is None:
        whole = "\n".join(lines).strip("\n")
        return [whole] if whole.strip() else []
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        pieces = [line[i : i + limit] for i in range(0, len(line), limit)] or [""]
        for piece in pieces:
            added = len(piece) + (1 if current else 0)
            if current and size + added > limit:
                messages.append("\n".join(current))
                current, size = [], 0
                added = len(piece)
            current.append(piece)
            size += added
    if current:
        messages.append("\n".join(current))
    return [m.strip("\n") for m in messages if m.strip()]
