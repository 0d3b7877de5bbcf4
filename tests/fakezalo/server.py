"""A fake Zalo Bot Platform API on 127.0.0.1, speaking real HTTP, with the platform's quirks as far as we know
them (/work/shared/notes/zalo-bot-platform.md; where the notes do not say, the choice is marked GUESS).

Quirks kept:
- every answer carries two `Server` headers (Zalo's edge does; strict HTTP parsers reject that);
- `POST|GET /bot<token>/<method>`, method names case-sensitive; JSON, form or query parameters;
- an unknown token → 401 Unauthorized; an unknown method → 400 (the docs: "wrong path or invalid API name");
- getUpdates answers ONE update object per call, and when nothing comes within its timeout (capped at
  `max_poll_wait` seconds here) an HTTP 408 "Request timeout"; it takes no offset, so `replay_next()` makes
  the next polls hand back updates already delivered, at once, as measured;
- getUpdates is refused while a webhook is set (the description mentions "webhook", as measured; its code,
  400, is a GUESS);
- getWebhookInfo with no webhook → 404 Not Found; deleteWebhook succeeds with none set;
- setWebhook: secret_token required, 8–256 characters; URL https (plain http accepted for loopback hosts only:
  a deviation, so tests can receive);
- sendMessage text and sendPhoto caption: 1–2000 characters, else 400 (the description is a GUESS);
- sendPhoto takes an image URL and FETCHES it before answering, as Zalo does; the bytes are kept on the call;
  an unreachable URL, a non-2xx answer or bytes that are no image → 400 (GUESS);
- sendChatAction answers `{"ok": true}` without a result, and takes "typing" only;
- message ids are 20 hex characters, dates epoch milliseconds.

What tests do:
- start()/stop() (stop(): connections refused, state kept; start() again on the same port);
- `client_base_url` to give ZaloClient(base_url=…), `token` for the token;
- inject_text / inject_image / inject_sticker / inject_unsupported (from a user, in a private chat or a
  group), or inject(update): queued for getUpdates, or, while a webhook is set, posted to it in the background
  (`webhook_shape` "flat" or "wrapped"; `await settle()` waits for those posts);
- `await deliver(update, shape=…, secret=…)`: one webhook delivery now (a wrong secret if asked), its status;
- replay_next(times), fail_next(status, n, method=…, http_status=…), hang_next(seconds, method=…),
  answer_next(body, status=…, method=…) (any answer, e.g. a list of updates);
- `calls` (every call, getUpdates included), `calls_to(…)`, `sent(chat_id)`, `deliveries`,
  `wait_for(predicate)`; host(name, data) serves bytes at a URL (images for sendPhoto).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

TOKEN = "3141592653589793238:fake-ZaloBotToken_abcdefghij"
BOT = {"id": "1459232241454765289", "account_name": "bot.KenhChinhThuc", "account_type": "BASIC",
       "can_join_groups": False}
USER_ID = "6ede9afa66b88fe6d6a9"
USER_NAME = "Ted"
GROUP_ID = "a1b2c3d4e5f60718293a"
MAX_TEXT = 2000
WEBHOOK_REFUSAL = (400, "Webhook is active: call deleteWebhook before using getUpdates")  # GUESS, see above
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
METHODS = ("getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage", "sendPhoto",
           "sendSticker", "sendChatAction")

Shape = Literal["flat", "wrapped"]


class ApiError(Exception):
    def __init__(self, code: int, description: str, http_status: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.http_status = code if http_status is None else http_status


@dataclass
class Call:
    """One API call as the fake received it; `error` is the description of a refusal (None: it succeeded)."""

    method: str
    params: dict[str, Any]
    token_ok: bool = True
    status: int = 200
    error: str | None = None
    photo_bytes: bytes | None = None  # sendPhoto: what the fake fetched from the photo URL
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def photo_url(self) -> str | None:
        return self.params.get("photo")

    @property
    def caption(self) -> str | None:
        return self.params.get("caption")


@dataclass
class Delivery:
    """One webhook POST the fake made."""

    url: str
    body: dict[str, Any]
    shape: Shape
    secret: str | None
    status: int | None  # None: no answer (connection failed or timed out)
    error: str | None = None


@dataclass
class _Fault:
    method: str | None
    code: int
    http_status: int
    description: str


class FakeZaloApi:
    def __init__(self, token: str = TOKEN, *, port: int = 0, max_poll_wait: float = 2.0,
                 webhook_shape: Shape = "flat") -> None:
        self.token = token
        self.port = port
        self.max_poll_wait = max_poll_wait  # the longest a getUpdates waits here, whatever its timeout says
        self.webhook_shape: Shape = webhook_shape
        self.calls: list[Call] = []
        self.deliveries: list[Delivery] = []
        self.webhook: dict[str, Any] | None = None  # {"url", "secret_token", "updated_at"}
        self.hosted: dict[str, bytes] = {}
        self.fetches: list[str] = []  # photo URLs fetched, in order
        self._queue: list[dict[str, Any]] = []
        self._delivered: list[dict[str, Any]] = []  # updates getUpdates has handed out
        self._replays = 0
        self._faults: list[_Fault] = []
        self._hangs: list[tuple[str | None, float]] = []
        self._canned: list[tuple[str | None, int, Any]] = []
        self._new_update = asyncio.Event()
        self._call_event = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._dates = itertools.count(int(time.time() * 1000))

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._closing = False
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/hosted/{name}", self._hosted)
        app.on_response_prepare.append(self._two_server_headers)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def stop(self) -> None:
        """Stop listening (connections are refused); long polls in progress are answered. State is kept."""
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.settle()
        await self.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FakeZaloApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def client_base_url(self) -> str:
        """What ZaloClient takes as base_url (it appends /bot<token>/<method>)."""
        return f"http://127.0.0.1:{self.port}"

    def host(self, name: str, data: bytes) -> str:
        """Serve `data` at a URL (GET), e.g. a PNG for sendPhoto to fetch; the URL."""
        self.hosted[name] = data
        return f"{self.client_base_url}/hosted/{name}"

    # --- what tests do: events ---------------------------------------------------------------------------
    @staticmethod
    def update(event_name: str, fields: dict[str, Any], *, user_id: str = USER_ID, name: str = USER_NAME,
               group: str | None = None, is_bot: bool = False, message_id: str | None = None,
               date: int | None = None) -> dict[str, Any]:
        """An update as Zalo sends it (flat): from `user_id`, in their private chat or in `group`."""
        message: dict[str, Any] = {
            "from": {"id": user_id, "display_name": name, "is_bot": is_bot},
            "chat": {"id": group or user_id, "chat_type": "GROUP" if group else "PRIVATE"},
            **fields,
            "message_id": message_id or secrets.token_hex(10),
            "date": date if date is not None else int(time.time() * 1000),
        }
        return {"event_name": event_name, "message": message}

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Make `update` arrive: queued for getUpdates, or posted to the webhook while one is set."""
        if self.webhook is not None:
            self._spawn(self.deliver(update, shape=self.webhook_shape))
        else:
            self._queue.append(update)
            self._new_update.set()
        return update

    def inject_text(self, text: str, **who: Any) -> dict[str, Any]:
        """A text message (`who`: user_id, name, group, is_bot, message_id, as update() takes them)."""
        return self.inject(self.update("message.text.received",
                                       {"text": text, "message_type": "CHAT_MESSAGE"}, **who))

    def inject_image(self, photo_url: str = "https://photo.zdn.vn/fake/1.jpg", caption: str = "", *,
                     documented: bool = False, **who: Any) -> dict[str, Any]:
        """An image: `photo_url` + message_type CHAT_PHOTO as measured, or `photo` as documented."""
        fields: dict[str, Any] = ({"photo": photo_url} if documented
                                  else {"photo_url": photo_url, "message_type": "CHAT_PHOTO"})
        fields["caption"] = caption
        return self.inject(self.update("message.image.received", fields, **who))

    def inject_sticker(self, sticker: str = "0e078a2fb66a5f34067b", **who: Any) -> dict[str, Any]:
        return self.inject(self.update("message.sticker.received", {
            "sticker": sticker, "url": f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={sticker}"},
            **who))

    def inject_unsupported(self, **who: Any) -> dict[str, Any]:
        """What the bot gets instead of the content from a sender in a protected group."""
        return self.inject(self.update("message.unsupported.received", {}, **who))

    def replay_next(self, times: int = 1) -> None:
        """The next `times` getUpdates calls hand back an update already delivered (the latest), at once."""
        self._replays += times

    # --- what tests do: webhook --------------------------------------------------------------------------
    async def deliver(self, update: dict[str, Any], *, shape: Shape | None = None, secret: str | None = None,
                      url: str | None = None, wrong_secret: bool = False, omit_secret: bool = False,
                      raw_body: bytes | None = None) -> int | None:
        """POST `update` to the webhook (or `url`) as Zalo does, with X-Bot-Api-Secret-Token: the registered
        secret, `secret`, a wrong one, or none. `raw_body` replaces the JSON (malformed bodies). The status
        (None if no answer came)."""
        target = url or (self.webhook or {}).get("url")
        if target is None:
            raise RuntimeError("no webhook set and no url given")
        shape = shape or self.webhook_shape
        body = {"ok": True, "result": update} if shape == "wrapped" else update
        sent = secret if secret is not None else (self.webhook or {}).get("secret_token")
        if wrong_secret:
            sent = (sent or "") + "-not-it"
        headers = {"Content-Type": "application/json"}
        if sent is not None and not omit_secret:
            headers["X-Bot-Api-Secret-Token"] = sent
        delivery = Delivery(target, body, shape, None if omit_secret else sent, None)
        self.deliveries.append(delivery)
        assert self._session is not None, "start() the fake first"
        data = raw_body if raw_body is not None else json.dumps(body).encode()
        try:
            async with self._session.post(target, data=data, headers=headers) as response:
                delivery.status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.error = type(exc).__name__
        finally:
            self._call_event.set()
        return delivery.status

    async def settle(self) -> None:
        """Wait for the background webhook deliveries started by inject_*()."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- what tests do: faults ---------------------------------------------------------------------------
    def fail_next(self, status: int = 503, n: int = 1, *, method: str | None = None,
                  description: str | None = None, http_status: int | None = None) -> None:
        """The next `n` calls (to `method`, or to any method) answer `{"ok": false, "error_code": status}` with
        HTTP `http_status` (default: `status`; 200 gives the HTTP-200-with-ok:false answer)."""
        if description is None:
            description = "Quota exceeded" if status == 429 else _phrase(status)
        for _ in range(n):
            self._faults.append(_Fault(method, status, status if http_status is None else http_status,
                                       description))

    def answer_next(self, body: Any, *, status: int = 200, method: str | None = None) -> None:
        """The next call (to `method`, or to any) gets `body` (JSON-encoded unless bytes) with HTTP `status`,
        whatever it asked: answers the real platform might give and the fake would not (a list of updates)."""
        self._canned.append((method, status, body))

    def hang_next(self, seconds: float, *, method: str | None = None) -> None:
        """The next call (to `method`, or to any) is answered only after `seconds`; it takes effect then."""
        self._hangs.append((method, seconds))

    # --- what tests read ---------------------------------------------------------------------------------
    def calls_to(self, *methods: str, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method in methods and (ok is None or c.ok == ok)]

    def sent(self, chat_id: str | None = None) -> list[Call]:
        """What users see: the successful sendMessage and sendPhoto calls (to `chat_id`), in order."""
        return [c for c in self.calls_to("sendMessage", "sendPhoto", ok=True)
                if chat_id is None or c.chat_id == chat_id]

    async def wait_for(self, predicate: Callable[[FakeZaloApi], bool], within: float = 5.0) -> None:
        """Wait (on events, not sleeps) until `predicate(self)` holds; re-checked after every call/delivery."""
        try:
            async with asyncio.timeout(within):
                while not predicate(self):
                    self._call_event.clear()
                    await self._call_event.wait()
        except TimeoutError:
            raise TimeoutError(f"fake Zalo: condition not met; calls: {[c.method for c in self.calls]}") from None

    # --- HTTP --------------------------------------------------------------------------------------------
    @staticmethod
    async def _two_server_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.popall("Server", None)
        response.headers.add("Server", "ZaloEdge")
        response.headers.add("Server", "nginx")

    async def _hosted(self, request: web.Request) -> web.Response:
        data = self.hosted.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="not here")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._params(request)
        except ValueError:
            params = {}
            call = Call(method, params, status=400, error="Bad Request: malformed body")
            return self._record_error(call, ApiError(400, call.error or ""))
        call = Call(method, params, token_ok=request.match_info["token"] == self.token)
        self.calls.append(call)
        self._call_event.set()  # a call under way counts too (a long poll waiting, say)
        try:
            if not call.token_ok:
                raise ApiError(401, "Unauthorized")
            if method not in METHODS:
                raise ApiError(400, "Bad Request: invalid API name")
            for i, (hanging, seconds) in enumerate(self._hangs):
                if hanging in (None, method):
                    del self._hangs[i]
                    await asyncio.sleep(seconds)
                    break
            for i, (answering, status, canned) in enumerate(self._canned):
                if answering in (None, method):
                    del self._canned[i]
                    call.status = status
                    data = canned if isinstance(canned, bytes) else json.dumps(canned).encode()
                    return web.Response(body=data, status=status, content_type="application/json")
            for i, fault in enumerate(self._faults):
                if fault.method in (None, method):
                    del self._faults[i]
                    raise ApiError(fault.code, fault.description, fault.http_status)
            result = await getattr(self, f"_m_{method}")(params, call)
        except ApiError as exc:
            return self._record_error(call, exc)
        finally:
            self._call_event.set()
        call.result = result
        body: dict[str, Any] = {"ok": True}
        if method != "sendChatAction":
            body["result"] = result
        return web.json_response(body)

    def _record_error(self, call: Call, exc: ApiError) -> web.Response:
        if call not in self.calls:
            self.calls.append(call)
        call.status = exc.http_status
        call.error = exc.description
        self._call_event.set()
        return web.json_response({"ok": False, "error_code": exc.code, "description": exc.description},
                                 status=exc.http_status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = json.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
                params.update(body)
            else:
                params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    # --- methods -----------------------------------------------------------------------------------------
    async def _m_getMe(self, params: dict[str, Any], call: Call) -> Any:
        return BOT

    async def _m_getUpdates(self, params: dict[str, Any], call: Call) -> Any:
        if self.webhook is not None:
            raise ApiError(*WEBHOOK_REFUSAL)
        try:
            timeout = float(params.get("timeout", "30"))
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: timeout must be a number") from None
        if self._replays and self._delivered:
            self._replays -= 1
            return self._delivered[-1]
        if not self._queue and timeout > 0 and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, self.max_poll_wait))
        if self.webhook is not None:
            raise ApiError(*WEBHOOK_REFUSAL)
        if not self._queue:
            raise ApiError(408, "Request timeout")
        update = self._queue.pop(0)
        self._delivered.append(update)
        return update

    async def _m_setWebhook(self, params: dict[str, Any], call: Call) -> Any:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url:
            raise ApiError(400, "Bad Request: url is required")
        parts = urlsplit(url)
        loopback = parts.hostname in {"127.0.0.1", "localhost"}
        if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
            raise ApiError(400, "Bad Request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": next(self._dates)}
        self._new_update.set()  # long polls in progress end (refused)
        # Updates queued for getUpdates now go to the webhook, as they would from Zalo.
        queued, self._queue = self._queue, []
        for update in queued:
            self._spawn(self.deliver(update, shape=self.webhook_shape))
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    async def _m_deleteWebhook(self, params: dict[str, Any], call: Call) -> Any:
        self.webhook = None
        return {"url": "", "updated_at": next(self._dates)}

    async def _m_getWebhookInfo(self, params: dict[str, Any], call: Call) -> Any:
        if self.webhook is None:
            raise ApiError(404, "Not Found")
        return {"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]}

    @staticmethod
    def _chat(params: dict[str, Any]) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ApiError(400, "Bad Request: chat_id is required")
        return chat_id

    @staticmethod
    def _text(value: Any, what: str) -> None:
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT:
            raise ApiError(400, f"Bad Request: {what} must be 1-{MAX_TEXT} characters")

    def _sent(self) -> dict[str, Any]:
        return {"message_id": secrets.token_hex(10), "date": next(self._dates)}

    async def _m_sendMessage(self, params: dict[str, Any], call: Call) -> Any:
        self._chat(params)
        self._text(params.get("text"), "text")
        return self._sent()

    async def _m_sendPhoto(self, params: dict[str, Any], call: Call) -> Any:
        self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or urlsplit(photo).scheme not in {"http", "https"}:
            raise ApiError(400, "Bad Request: photo must be an image URL")
        if "caption" in params:
            self._text(params["caption"], "caption")
        call.photo_bytes = await self._fetch(photo)
        return self._sent()

    async def _fetch(self, url: str) -> bytes:
        assert self._session is not None
        self.fetches.append(url)
        try:
            async with self._session.get(url) as response:
                data = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            raise ApiError(400, "Bad Request: cannot fetch photo url") from None
        if not 200 <= status < 300:
            raise ApiError(400, f"Bad Request: cannot fetch photo url (HTTP {status})")
        if not data.startswith(IMAGE_MAGIC):
            raise ApiError(400, "Bad Request: photo url is not an image")
        return data

    async def _m_sendSticker(self, params: dict[str, Any], call: Call) -> Any:
        self._chat(params)
        if not isinstance(params.get("sticker"), str) or not params["sticker"]:
            raise ApiError(400, "Bad Request: sticker is required")
        return self._sent()

    async def _m_sendChatAction(self, params: dict[str, Any], call: Call) -> Any:
        self._chat(params)
        if params.get("action") != "typing":
            raise ApiError(400, "Bad Request: action must be typing")
        return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
