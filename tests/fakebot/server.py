"""A fake Telegram Bot API server on 127.0.0.1, speaking real HTTP to the real python-telegram-bot client.

It keeps chats' messages, uploaded files and pending queries like Telegram does, refuses calls Telegram would
refuse (see spec.py), and records every call for assertions.

Faults, injected explicitly by tests:
- `fail_next(method, code, times=…, retry_after=…)`: the next call(s) to `method` get an error (429, 500, 502…);
- `hang_next(method, seconds)`: the next call to `method` is answered, and its message delivered, only after
  `seconds` (long after a short client read timeout, say);
- `stop()` then `start()`: the server goes away (connections refused) and comes back on the same port, with
  its state (calls, chats, files, pending updates) kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakebot.spec import ApiError, check_call, check_photo, decode_field

ALBUM = "album#"  # files[ALBUM + i]: the upload of an album's item i
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Kênh Chính Thức", "username": "KenhChinhThucBot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz", latency: float = 0.0,
                 *, check: bool = True, record: bool = True, port: int = 0) -> None:
        self.token = token
        self.latency = latency  # added to every call but getUpdates: a round trip to Telegram
        self.check = check  # benchmarks may skip the spec checks to measure the bot, not the fake
        self.record = record
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.photo_sizes: dict[str, tuple[int, int]] = {}  # file_id → (width, height) as uploaded
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._call_event = asyncio.Event()
        self._open_queries: set[str] = set()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._failures: list[tuple[str, ApiError]] = []
        self._hangs: list[tuple[str, float]] = []
        self.served_update_id = 0  # the highest update_id getUpdates has handed out
        self.webhook: dict[str, Any] | None = None  # what setWebhook registered
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = port

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen (again, after stop(): on the same port, with the same state)."""
        self._closing = False
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Go away like a crashed server: stop listening (new connections are refused), answer the long polls
        in progress, give other calls in progress 0.1 s, then drop their connections. State is kept."""
        self._closing = True
        self._new_update.set()  # wake long polls, or cleanup waits for them
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.stop()

    def add_routes(self, app: web.Application) -> None:
        """Hook for subclasses (the benchmark's control endpoints)."""

    def on_result(self, method: str, params: dict[str, Any]) -> None:
        """Hook for subclasses: called after every successful call."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what tests do -----------------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        if "callback_query" in update:
            self._open_queries.add(update["callback_query"]["id"])
        if "inline_query" in update:
            self._open_queries.add(update["inline_query"]["id"])
        self._updates.append(update)
        self._new_update.set()
        return update

    def open_query(self, query_id: str) -> None:
        """Register a callback/inline query id for an update a test feeds directly to the Application."""
        self._open_queries.add(query_id)

    def fail_next(self, method: str, code: int = 429, retry_after: float = 1, description: str = "", *,
                  times: int = 1) -> None:
        """The next `times` calls to `method` fail with `code` (a 429 carries `retry_after`), unrecorded as
        delivered. Descriptions are Telegram's: "Too Many Requests: retry after N", "Bad Request", or the
        HTTP status's phrase for a 5xx."""
        if not description:
            if code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif code >= 500:
                description = HTTPStatus(code).phrase
            else:
                description = "Bad Request"
        for _ in range(times):
            self._failures.append((method, ApiError(description, code, retry_after if code == 429 else None)))

    def hang_next(self, method: str, seconds: float) -> None:
        """The next call to `method` is answered only after `seconds`; it is recorded (and its message
        delivered) then, whether or not the client is still waiting for the answer."""
        self._hangs.append((method, seconds))

    def delivered(self, chat_id: int) -> list[Call]:
        """What the user in `chat_id` sees: the messages, photos and documents successfully sent there."""
        return self.calls_to("sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", chat_id=chat_id)

    def calls_to(self, *methods: str, chat_id: int | None = None, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method in methods and (chat_id is None or c.chat_id == chat_id)
                and (c.error is None) == ok]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], within: float = 5.0) -> None:
        """Wait (on events, not sleeps) until the recorded calls satisfy `predicate`."""
        await self.wait_until(lambda: predicate(self.calls), within)

    async def wait_until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Wait (on events, not sleeps) until `condition()` holds; it is re-checked after every call."""
        try:
            async with asyncio.timeout(within):
                while not condition():
                    self._call_event.clear()
                    await self._call_event.wait()
        except TimeoutError:
            raise TimeoutError(f"fake Bot API: condition not met; calls: {[c.method for c in self.calls]}") from None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._messages.get((chat_id, message_id))

    # --- HTTP --------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params, files = await self._decode(request, method)
        for i, (hanging, seconds) in enumerate(self._hangs):
            if hanging == method:
                del self._hangs[i]
                await asyncio.sleep(seconds)  # the call lands (and is recorded) only now
                break
        call = Call(method, params, files)
        if method != "getUpdates" and self.record:
            self.calls.append(call)
        try:
            if self.latency and method != "getUpdates":
                await asyncio.sleep(self.latency)
            for i, (failing, error) in enumerate(self._failures):
                if failing == method:
                    del self._failures[i]
                    raise error
            if self.check:
                check_call(method, {**params, **{k: v for k, v in files.items() if not k.startswith(ALBUM)}})
            result = await getattr(self, f"_m_{method}", self._m_default)(params, files)
            self.on_result(method, params)
        except ApiError as exc:
            call.error = exc.description
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.code)
        finally:
            self._call_event.set()
        return web.json_response({"ok": True, "result": result})

    async def _decode(self, request: web.Request, method: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    files[part.name] = bytes(await part.read())
                else:
                    params[part.name] = decode_field(method, part.name, await part.text())
        elif request.content_type == "application/json":
            params = await request.json() if request.can_read_body else {}
        else:
            form = await request.post()
            params = {k: decode_field(method, k, str(v)) for k, v in form.items()}
        # Uploaded files are referenced as attach://name from the field that carries them.
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                files[key] = files.pop(value[9:])
                del params[key]
        # …or from an album's items: kept as files["album#<i>"], the item's media left as it came.
        media = params.get("media")
        if method.lower() == "sendmediagroup" and isinstance(media, list):
            for i, item in enumerate(media):
                ref = item.get("media") if isinstance(item, dict) else None
                if isinstance(ref, str) and ref.startswith("attach://") and ref[9:] in files:
                    files[f"{ALBUM}{i}"] = files.pop(ref[9:])
        return params, files

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # --- methods -----------------------------------------------------------------------------------------
    async def _m_default(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, 5))
        limit = int(params.get("limit") or 100)
        served = self._updates[:limit]
        if served:
            self.served_update_id = max(self.served_update_id, served[-1]["update_id"])
        return served

    def _store_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Group"
        else:
            chat["first_name"] = "User"
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": BOT_USER, **extra}
        self._messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any]:
        return {"reply_markup": params["reply_markup"]} if "reply_markup" in params else {}

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._store_message(int(params["chat_id"]), {"text": params["text"], **self._markup(params)})

    def _photo(self, data: bytes | None, reference: Any) -> list[dict[str, Any]]:
        """A photo uploaded (checked as Telegram checks it, stored) or referenced by file_id: its PhotoSize list,
        the largest ≤ 1280 px on its longest side, as Telegram keeps it."""
        if data is not None:
            width, height = check_photo(data)
            file_id = "AgAD" + hashlib.sha256(data).hexdigest()[:40]
            self.files[file_id] = data
            self.photo_sizes[file_id] = (width, height)
        else:
            file_id = str(reference)
            if file_id not in self.files:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        width, height = self.photo_sizes.get(file_id, (1280, 1000))
        scale = min(1.0, 1280 / max(width, height))
        return [{"file_id": file_id, "file_unique_id": file_id[-16:], "width": round(width * scale),
                 "height": round(height * scale), "file_size": len(self.files[file_id])}]

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        photo = self._photo(files.get("photo"), params.get("photo"))
        extra = {"photo": photo, **self._markup(params)}
        if "caption" in params:
            extra["caption"] = params["caption"]
        return self._store_message(int(params["chat_id"]), extra)

    async def _m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        media = params["media"]
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError("Bad Request: wrong number of media specified; must be 2-10")
        photos = []
        for i, item in enumerate(media):
            if item.get("type") != "photo":
                raise ApiError("Bad Request: the fake Bot API takes albums of photos only")
            photos.append(self._photo(files.get(f"{ALBUM}{i}"), item.get("media")))
        group = str(next(self._message_ids))
        messages = []
        for item, photo in zip(media, photos, strict=True):
            extra: dict[str, Any] = {"photo": photo, "media_group_id": group}
            if "caption" in item:
                extra["caption"] = item["caption"]
            messages.append(self._store_message(int(params["chat_id"]), extra))
        return messages

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        data = files.get("document")
        if data is None:
            raise ApiError("Bad Request: there is no document in the request")
        file_id = "BQAD" + hashlib.sha256(data).hexdigest()[:40]
        self.files[file_id] = data
        doc = {"file_id": file_id, "file_unique_id": file_id[-16:], "file_size": len(data), "file_name": "file"}
        return self._store_message(int(params["chat_id"]), {"document": doc})

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": file_id[-16:], "file_size": len(self.files[file_id]),
                "file_path": file_id}

    def _answer(self, query_id: str) -> None:
        if query_id not in self._open_queries:
            raise ApiError("Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._answer(str(params["callback_query_id"]))
        return True

    async def _m_answerInlineQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._answer(str(params["inline_query_id"]))
        for result in params["results"]:
            file_id = result.get("photo_file_id")
            if file_id is not None and file_id not in self.files:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        return True

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages.get((int(params.get("chat_id", 0)), int(params.get("message_id", 0))))
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        return message

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        if message.get("text") == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified: specified new message content and reply markup "
                           "are exactly the same as a current content and reply markup of the message")
        message.update(text=params["text"], **self._markup(params))
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified")
        message["reply_markup"] = params.get("reply_markup")
        if "reply_markup" not in params:
            del message["reply_markup"]
        return message

    async def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        message.update(caption=params.get("caption", ""), **self._markup(params))
        return message

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError("Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": params["url"], "secret_token": secret}
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = None
        return True


def decoded_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
