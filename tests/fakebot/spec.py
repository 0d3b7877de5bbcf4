"""Checks a Bot API call the way Telegram would: against the published spec (Bot API 10.0) plus the limits
that the spec only states in prose (text and caption lengths, callback data, HTML that must parse).

A failed check raises ApiError with Telegram's status and a description in Telegram's style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("api-10.0.min.json")


class ApiError(Exception):
    """A refusal: HTTP status `code`, Telegram's `description`, and the ResponseParameters Telegram adds to some
    errors (`retry_after` on a 429; others, such as `migrate_to_chat_id`, in `parameters`)."""

    def __init__(self, description: str, code: int = 400, retry_after: float | None = None, *,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.code = code
        self.retry_after = retry_after
        self.parameters = dict(parameters or {})

    @property
    def response_parameters(self) -> dict[str, Any] | None:
        """The error body's `parameters` object, or None when Telegram would send none."""
        merged = dict(self.parameters)
        if self.retry_after is not None:
            merged["retry_after"] = self.retry_after
        return merged or None


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _bad(message: str) -> ApiError:
    return ApiError(f"Bad Request: {message}")


# --- HTML parse mode -------------------------------------------------------------------------------------
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
                 "pre", "blockquote", "tg-emoji", "tg-time"}


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset: known tags only, properly nested; counts entities and visible characters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.entities = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise _bad(f"can't parse entities: Unsupported start tag \"{tag}\"")
        if tag == "a" and not dict(attrs).get("href"):
            raise _bad("can't parse entities: <a> without href")
        self.stack.append(tag)
        self.entities += 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise _bad(f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\"")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str, int]:
    """(visible text, entity count) of a Telegram-HTML string; raises like Telegram on bad markup."""
    if re.search(r"&(?![a-zA-Z]+;|#[0-9]+;|#x[0-9a-fA-F]+;)", text) or re.search(r"<(?![a-zA-Z/])", text):
        raise _bad("can't parse entities: Unsupported start tag or unescaped character")
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _bad(f"can't parse entities: Can't find end tag corresponding to start tag \"{parser.stack[-1]}\"")
    return "".join(parser.text), parser.entities


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_formatted(text: str, parse_mode: str | None, field: str, low: int, high: int) -> str:
    visible, entities = parse_html(text) if (parse_mode or "").upper() == "HTML" else (text, 0)
    # Telegram also turns URLs into entities; count them against the 100-entity limit.
    entities += len(re.findall(r"https?://", visible))
    length = utf16_len(visible.strip())
    if length < low:
        raise _bad(f"{field} must be non-empty" if field == "message text" else f"{field} is empty")
    if length > high:
        raise _bad(f"{field} is too long")
    if entities > 100:
        raise _bad("too many entities")
    return visible


# --- types ---------------------------------------------------------------------------------------------------
_FIXED_TYPE = re.compile(r"must be ([a-z_]+)")
_ALWAYS = re.compile(r"always [“\"]([a-z_]+)[”\"]")  # the spec quotes both ways: ChatMember's status uses "…"


def _subtype_candidates(type_name: str, value: dict[str, Any]) -> list[str]:
    types = spec()["types"]
    subtypes = types[type_name].get("subtypes")
    if not subtypes:
        return [type_name]
    wanted = value.get("type") or value.get("source") or value.get("status")
    if wanted is None:  # told apart by their fields (InputMessageContent): any member may fit
        return list(subtypes)
    found = []
    for sub in subtypes:
        for f in types[sub].get("fields", []):
            if f["name"] in ("type", "source", "status"):
                m = _FIXED_TYPE.search(f["description"]) or _ALWAYS.search(f["description"])
                if m and m.group(1) == wanted:
                    found.append(sub)
    if not found:
        raise _bad(f"unsupported {type_name} type \"{wanted}\"")
    return found


def check_value(value: Any, types: list[str], where: str) -> None:
    """Raise ApiError unless `value` fits one of the spec's `types` for the field at `where`."""
    _any_fits([lambda t=t: _check_one(value, t, where) for t in types])


def _any_fits(checks: list[Callable[[], None]]) -> None:
    """Pass if one alternative of a union passes; else raise the first alternative's error."""
    errors = []
    for check in checks:
        try:
            check()
            return
        except ApiError as exc:
            errors.append(exc)
    raise errors[0]


def _check_one(value: Any, type_name: str, where: str) -> None:
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            raise _bad(f"{where}: expected an Array")
        for i, item in enumerate(value):
            check_value(item, [type_name.removeprefix("Array of ")], f"{where}[{i}]")
        return
    if type_name == "Integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{where}: expected an Integer")
        return
    if type_name == "Float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{where}: expected a Float")
        return
    if type_name == "String":
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _bad(f"{where}: expected a String")
        return
    if type_name == "Boolean":
        if not isinstance(value, bool):
            raise _bad(f"{where}: expected a Boolean")
        return
    if type_name == "InputFile":
        if not isinstance(value, bytes):
            raise _bad(f"{where}: expected an uploaded file")
        return
    if not isinstance(value, dict):
        raise _bad(f"{where}: expected an object {type_name}")
    _any_fits([lambda c=c: _check_object(value, c, where) for c in _subtype_candidates(type_name, value)])


def _check_object(value: dict[str, Any], type_name: str, where: str) -> None:
    fields = {f["name"]: f for f in spec()["types"][type_name].get("fields", [])}
    for key in value:
        if key not in fields:
            raise _bad(f"{where}: unknown field \"{key}\" in {type_name}")
    for name, f in fields.items():
        if name in value:
            check_value(value[name], f["types"], f"{where}.{name}")
        elif f["required"]:
            raise _bad(f"{where}: field \"{name}\" of {type_name} must be specified")
    _check_object_limits(value, type_name, where)


_ACTIONS = {"url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay"}


def _check_object_limits(value: dict[str, Any], type_name: str, where: str) -> None:
    if type_name == "InlineKeyboardButton":
        actions = [k for k in value if k in _ACTIONS]
        if len(actions) != 1:
            raise _bad(f"{where}: a button must have exactly one action, has {actions}")
        if not value["text"]:
            raise _bad("text buttons are unallowed in the inline keyboard")
        data = value.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise _bad("BUTTON_DATA_INVALID")
        url = value.get("url")
        if url is not None and not re.match(r"^(https?|tg)://[^\s]+$", url):
            raise _bad("BUTTON_URL_INVALID")
    if type_name == "InlineKeyboardMarkup":
        rows = value["inline_keyboard"]
        if sum(len(r) for r in rows) > 100 or any(len(r) > 8 for r in rows):
            raise _bad("reply markup is too long")
    if type_name == "BotCommand":
        if not re.fullmatch(r"[a-z0-9_]{1,32}", value["command"]):
            raise _bad("BOT_COMMAND_INVALID")
        if not 1 <= len(value["description"]) <= 256:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
    if type_name == "InputTextMessageContent":
        check_formatted(value["message_text"], value.get("parse_mode"), "message text", 1, 4096)
    if "InlineQueryResult" in spec()["types"][type_name].get("subtype_of", []):
        if "caption" in value:
            check_formatted(value["caption"], value.get("parse_mode"), "caption", 0, 1024)
        if not 1 <= len(str(value.get("id", "")).encode()) <= 64:
            raise _bad("RESULT_ID_INVALID")


# --- methods -----------------------------------------------------------------------------------------------
def check_call(method: str, params: dict[str, Any]) -> None:
    """Raise ApiError as Telegram would for this call; `params` are decoded (JSON fields parsed, files as bytes)."""
    methods = {name.lower(): m for name, m in spec()["methods"].items()}
    m = methods.get(method.lower())
    if m is None:
        raise ApiError("Not Found: method not found", 404)
    fields = {f["name"]: f for f in m.get("fields", [])}
    for key in params:
        if key not in fields:
            raise _bad(f"unknown parameter \"{key}\" for {m['name']}")
    for name, f in fields.items():
        if name in params:
            check_value(params[name], f["types"], name)
        elif f["required"]:
            raise _bad(f"parameter \"{name}\" is required")
    if m["name"] in ("sendMessage", "editMessageText"):
        check_formatted(params["text"], params.get("parse_mode"), "message text", 1, 4096)
    if "caption" in params:
        check_formatted(params["caption"], params.get("parse_mode"), "caption", 0, 1024)
    if m["name"] == "answerInlineQuery":
        results = params["results"]
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        if len(str(params.get("next_offset", "")).encode()) > 64:
            raise _bad("NEXT_OFFSET_INVALID")
    if m["name"] == "sendMediaGroup":
        check_media_group(params["media"])
    if m["name"] == "setMyCommands" and len(params["commands"]) > 100:
        raise _bad("too many commands")
    if m["name"] in ("setMyDescription",) and len(params.get("description", "")) > 512:
        raise _bad("description is too long")
    if m["name"] in ("setMyShortDescription",) and len(params.get("short_description", "")) > 120:
        raise _bad("short description is too long")


MAX_PHOTO_BYTES = 10 * 1024 * 1024


def check_photo(data: bytes) -> tuple[int, int]:
    """An uploaded photo as Telegram takes it: an image, ≤ 10 MB, width + height ≤ 10,000, aspect ratio ≤ 20.
    Returns (width, height)."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise _bad("PHOTO_INVALID_DIMENSIONS")  # the brief's grouping; Telegram words a too-big photo variously
    try:
        width, height = Image.open(io.BytesIO(data)).size
    except (UnidentifiedImageError, OSError):
        raise _bad("IMAGE_PROCESS_FAILED") from None
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        raise _bad("PHOTO_INVALID_DIMENSIONS")
    return width, height


def check_media_group(media: Any) -> None:
    """sendMediaGroup: 2–10 items, photos and videos may mix, documents and audio only with their own kind;
    a caption ≤ 1024 characters after entity parsing on any item."""
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise _bad("wrong number of media specified; must be 2-10")  # Telegram's words, near enough
    kinds = {item.get("type") for item in media}
    if len(kinds) > 1 and not kinds <= {"photo", "video"}:
        raise _bad("can't use the media of the specified type in the album")
    for item in media:
        if "caption" in item:
            check_formatted(item["caption"], item.get("parse_mode"), "caption", 0, 1024)


def decode_field(method: str, name: str, raw: str) -> Any:
    """Form fields arrive as strings; nested objects, numbers and booleans as JSON. Decode by the spec's type."""
    methods = {n.lower(): m for n, m in spec()["methods"].items()}
    m = methods.get(method.lower(), {})
    f = next((f for f in m.get("fields", []) if f["name"] == name), None)
    types = f["types"] if f else ["String"]
    if types == ["String"] or (types == ["Integer", "String"] and not re.fullmatch(r"-?\d+", raw)):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw
