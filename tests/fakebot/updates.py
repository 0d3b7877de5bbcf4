"""Update factories that build updates the way Telegram does: tests read like what the user did."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakebot.server import BOT_USER

_ids = itertools.count(1)

VI_USER = {"id": 111, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
EN_USER = {"id": 222, "is_bot": False, "first_name": "Ann", "language_code": "en-US"}
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Phòng CNTT"}


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def message(text: str, user: dict[str, Any] = VI_USER, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    """A text message; a leading /command gets its bot_command entity, as Telegram adds it."""
    msg: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()), "from": user,
                           "chat": chat or private_chat(user), "text": text}
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0])
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": msg}


def callback(data: str, user: dict[str, Any] = VI_USER, chat: dict[str, Any] | None = None,
             message_id: int = 1) -> dict[str, Any]:
    chat = chat or private_chat(user)
    return {"callback_query": {
        "id": f"cb{next(_ids)}", "from": user, "chat_instance": "ci", "data": data,
        "message": {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER, "text": "…"},
    }}


def inline(query: str, user: dict[str, Any] = VI_USER, offset: str = "") -> dict[str, Any]:
    return {"inline_query": {"id": f"iq{next(_ids)}", "from": user, "query": query, "offset": offset}}
