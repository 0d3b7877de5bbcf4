"""A thin client of the Zalo Bot Platform API (the 2025 "Zalo Bot Creator" bots, not the Official Account API).

Every call is `POST {base_url}/bot{token}/{method}` with a JSON body, and every answer is an envelope
`{"ok": true, "result": …}` or `{"ok": false, "error_code": N, "description": "…"}`. The HTTP status usually
matches `error_code`, but an HTTP 200 can carry `ok: false`, so `ok` is checked on every answer.

Hosts: `https://bot-api.zaloplatforms.com` (ZALO_BASE_URL, the documented one since late 2025) and the older
`https://bot-api.zapps.me` (ZALO_OLD_BASE_URL), which answered the same API in 2026 and is still used by the
SDK the official docs link to. Pass `base_url=` to pick one.

Errors:
- ZaloError(code, description): the platform said no (`ok: false`, a 4xx); not retried, the caller's to handle.
- ZaloTransient: 429 ("Quota exceeded"), 5xx, no connection, no answer in time. 429/5xx and failed connections
  are retried here with exponential back-off, a bounded number of times, before ZaloTransient is raised.
  A timeout after the request was sent is retried only for idempotent methods: a sendMessage that timed out may
  still land, and Zalo de-duplicates nothing, so one late message is better than two.
- ZaloWebhookActive: getUpdates refused because a webhook is set (call deleteWebhook first).
- getUpdates' idle end (HTTP 408 / error_code 408) is no error: get_updates() returns [].

The token is in the URL path. It never appears in a log line, an exception's text or a repr: this module logs
method names only, aiohttp's exceptions (whose messages may carry the URL) are replaced by ours, raised outside
the `except` block so they are not even kept as `__context__`, and any text that does reach us is redacted.
Redirects are not followed (they would carry the token elsewhere).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import aiohttp

from bot.frontends.delivery import Backoff

log = logging.getLogger(__name__)

ZALO_BASE_URL: Final = "https://bot-api.zaloplatforms.com"
ZALO_OLD_BASE_URL: Final = "https://bot-api.zapps.me"
MAX_TEXT: Final = 2000  # sendMessage.text and sendPhoto.caption: 1–2000 characters (docs)
SECRET_MIN: Final = 8  # setWebhook.secret_token: 8–256 characters (docs)
SECRET_MAX: Final = 256
IDEMPOTENT: Final = frozenset({"getMe", "getWebhookInfo", "setWebhook", "deleteWebhook"})

Sleep = Callable[[float], Awaitable[None]]


class ZaloError(Exception):
    """The platform refused a call (`ok: false`). `code` is its error_code (or the HTTP status when the answer
    carried none; None when there was no answer at all). The text never contains the token."""

    def __init__(self, code: int | None, description: str, method: str = "") -> None:
        super().__init__(code, description)
        self.code = code
        self.description = description
        self.method = method

    def __str__(self) -> str:
        where = f"{self.method}: " if self.method else ""
        code = f"{self.code} " if self.code is not None else ""
        return f"{where}{code}{self.description}"


class ZaloTransient(ZaloError):
    """Worth trying again later: 429, 5xx, a failed connection or no answer in time (after this client's own
    retries, where it makes any). `maybe_sent`: the request went out and no answer came, so it may still
    take effect."""

    def __init__(self, code: int | None, description: str, method: str = "", *, maybe_sent: bool = False) -> None:
        super().__init__(code, description, method)
        self.maybe_sent = maybe_sent


class ZaloWebhookActive(ZaloError):
    """getUpdates refused because a webhook is set: the two ways of receiving exclude each other."""


def check_text(text: object, what: str = "text") -> str:
    """A sendMessage text or sendPhoto caption as Zalo takes it: a str of 1–2000 characters, else ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a str, not {type(text).__name__}")
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValueError(f"{what} must be 1–{MAX_TEXT} characters long, not {len(text)}: split it first")
    return text


def check_secret(secret: object) -> str:
    """A webhook secret as setWebhook takes it (8–256 characters) that can travel in an HTTP header
    (printable ASCII). A secret of 32–64 characters from [A-Za-z0-9_-] also suits Telegram."""
    if not isinstance(secret, str):
        raise ValueError("the webhook secret must be a str")
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValueError(f"the webhook secret must be {SECRET_MIN}–{SECRET_MAX} characters long, not {len(secret)}")
    if not all(" " < ch < "\x7f" for ch in secret):
        raise ValueError("the webhook secret must be printable ASCII without spaces (it is sent as a header)")
    return secret


def _check_chat(chat_id: object) -> str:
    if not isinstance(chat_id, str) or not chat_id:
        raise ValueError("chat_id must be a non-empty str (Zalo ids are opaque strings)")
    return chat_id


def _check_url(url: object, what: str) -> str:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) <= len("https://"):
        raise ValueError(f"{what} must be an absolute http(s) URL")
    return url


class ZaloClient:
    """One aiohttp session for one bot token. Use `async with ZaloClient(token) as client:`, or start()/close().

    `backoff` spaces the retries of 429/5xx/failed connections (its `budget` bounds the sum of the waits),
    `attempts` bounds their number (1: no retries), `sleep` is how to wait (tests pass a fake).
    `timeout` bounds a call; sendPhoto gets `photo_timeout` (Zalo fetches the image before it answers) and
    getUpdates its long-poll time plus `poll_slack`.
    """

    def __init__(self, token: str, *, base_url: str = ZALO_BASE_URL, backoff: Backoff | None = None,
                 attempts: int = 4, sleep: Sleep = asyncio.sleep, timeout: float = 10.0,
                 photo_timeout: float = 30.0, poll_slack: float = 10.0, trust_env: bool = False) -> None:
        if not isinstance(token, str) or not token or any(ch in token for ch in "/?#%") or token != token.strip():
            raise ValueError("the Zalo bot token is empty or malformed (it is not shown here)")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._token = token
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/"
        self.base_url = base_url.rstrip("/")
        self.backoff = backoff or Backoff(first=0.5, factor=2.0, cap=8.0, budget=30.0)
        self.attempts = attempts
        self._sleep = sleep
        self.timeout = timeout
        self.photo_timeout = photo_timeout
        self.poll_slack = poll_slack
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"ZaloClient(base_url={self.base_url!r}, token=<redacted>)"

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "kenh-chinh-thuc (aiohttp)"}, trust_env=self._trust_env,
                timeout=aiohttp.ClientTimeout(total=None))

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    # --- methods -----------------------------------------------------------------------------------------
    async def get_me(self) -> dict[str, Any]:
        """The bot: {"id", "account_name", "account_type", "can_join_groups"}. Validates the token (401)."""
        return _as_dict(await self.call("getMe"))

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:  # noqa: ASYNC109 (Zalo's parameter)
        """One long poll of `timeout` seconds. Zalo answers one update object per call (a list is accepted
        too) and HTTP 408 when nothing came: then []. Only `timeout` is sent (as a string, the documented
        type): there is no offset and no acknowledgement, so updates may come again on later polls (dedupe
        them by message_id). Not retried here: the poll loop has its own back-off."""
        try:
            result = await self.call("getUpdates", {"timeout": str(int(timeout))},
                                     time_limit=timeout + self.poll_slack, attempts=1)
        except ZaloTransient:
            raise
        except ZaloError as exc:
            if exc.code == 408 or "timeout" in exc.description.lower():
                return []
            raise
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) and result else []

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Register the webhook: {"url", "updated_at"}. Zalo requires HTTPS; the secret comes back as the
        X-Bot-Api-Secret-Token header of every delivery."""
        _check_url(url, "the webhook URL")
        check_secret(secret_token)
        return _as_dict(await self.call("setWebhook", {"url": url, "secret_token": secret_token}))

    async def delete_webhook(self) -> None:
        """Remove the webhook (succeeds with none set). Its result ({"url": "", …} or True) is ignored."""
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any] | None:
        """{"url", "updated_at"}, or None when no webhook is set (Zalo answers that with a 404)."""
        try:
            return _as_dict(await self.call("getWebhookInfo"))
        except ZaloTransient:
            raise
        except ZaloError as exc:
            if exc.code == 404:
                return None
            raise

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send a plain text of 1–2000 characters (ValueError before sending otherwise):
        {"message_id", "date"}."""
        _check_chat(chat_id)
        check_text(text)
        return _as_dict(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        """Send an image by URL (Zalo takes no upload: it fetches the URL, which must be public, before it
        answers): {"message_id", "date"}. The caption, if any, has 1–2000 characters."""
        _check_chat(chat_id)
        _check_url(photo_url, "photo_url")
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption is not None:
            params["caption"] = check_text(caption, "caption")
        return _as_dict(await self.call("sendPhoto", params, time_limit=self.photo_timeout))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing…" (the only action the docs offer today). Its answer carries no result."""
        _check_chat(chat_id)
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    # --- the transport -----------------------------------------------------------------------------------
    async def call(self, method: str, params: dict[str, Any] | None = None, *, time_limit: float | None = None,
                   attempts: int | None = None) -> Any:
        """POST `method` with `params` as JSON; the envelope's `result` (None when it has none). One attempt
        may take `time_limit` seconds (default: the client's `timeout`), and there are at most `attempts`.
        Retries 429, 5xx and failed connections (and, for idempotent methods, timeouts) with back-off."""
        tries = attempts or self.attempts
        waits = self.backoff.waits()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._once(method, params or {}, time_limit or self.timeout)
            except ZaloTransient as exc:
                if exc.maybe_sent and method not in IDEMPOTENT:
                    raise  # it may have landed: do not send it twice
                wait = next(waits)
                if attempt >= tries or waited + wait > self.backoff.budget:
                    raise
                log.debug("Zalo %s failed (%s); retry %d in %.2f s", method, exc.description, attempt, wait)
            waited += wait
            await self._sleep(wait)

    async def _once(self, method: str, params: dict[str, Any], time_limit: float) -> Any:
        if self._session is None or self._session.closed:
            raise RuntimeError("ZaloClient is not started: use `async with ZaloClient(…)` or await start()")
        failure: ZaloError | None = None
        status = 0
        body = b""
        try:
            async with self._session.post(self._prefix + method, json=params, allow_redirects=False,
                                          timeout=aiohttp.ClientTimeout(total=time_limit)) as response:
                status = response.status
                body = await response.read()
        except aiohttp.ConnectionTimeoutError as exc:  # nothing was sent
            failure = ZaloTransient(None, f"cannot connect: {self._reason(exc)}", method)
        except TimeoutError:
            failure = ZaloTransient(None, f"no answer within {time_limit:g} s", method, maybe_sent=True)
        except aiohttp.ClientSSLError as exc:  # retrying will not fix a certificate
            failure = ZaloError(None, f"TLS failure: {self._reason(exc)}", method)
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            failure = ZaloTransient(None, f"cannot connect: {self._reason(exc)}", method)
        except aiohttp.ClientError as exc:
            failure = ZaloTransient(None, f"transport failure: {self._reason(exc)}", method)
        if failure is not None:
            raise failure  # outside the except clauses: aiohttp's exception (and its URL) is not kept
        return self._result(method, status, body)

    def _result(self, method: str, status: int, body: bytes) -> Any:
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            text = self._redact(body[:120].decode("utf-8", "replace")).strip()
            description = f"HTTP {status}, not a Zalo envelope" + (f": {text}" if text else "")
            if status == 429 or status >= 500:
                raise ZaloTransient(status, description, method)
            raise ZaloError(status, description, method)
        ok = envelope.get("ok") is True
        code = envelope.get("error_code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        if ok and 200 <= status < 300:
            return envelope.get("result")
        code = code or (status if status >= 300 else None)
        description = self._redact(str(envelope.get("description") or "(no description)"))[:300]
        if code == 429 or (code is not None and code >= 500) or status == 429 or status >= 500:
            raise ZaloTransient(code, description, method)
        if method == "getUpdates" and "webhook" in description.lower():
            raise ZaloWebhookActive(code, description, method)
        raise ZaloError(code, description, method)

    def _reason(self, exc: BaseException) -> str:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return self._redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:200]

    def _redact(self, text: str) -> str:
        for form in (self._prefix, self._token, quote(self._token, safe=""), quote(self._token)):
            text = text.replace(form, "<redacted>")
        return text


def _as_dict(result: Any) -> dict[str, Any]:
    return result if isinstance(result, dict) else {}
