"""A python-telegram-bot request class on aiohttp.

Why not PTB's default (httpx): profiling a burst of /channels showed most of the bot's CPU in httpcore's
connection-pool bookkeeping (re-checking every pooled connection with a getpeername() per request, and an
async-library sniff that retries a failing import each time). aiohttp's pool does the same job for a fraction
of the cost, and PTB is built to take another BaseRequest. See BENCHMARKS.md for the numbers.
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.frontends.delivery import ConnectionFailed

# No response at all, so nothing to go by but the failure: DeliveryRequest may retry these. (An SSL error is
# a ClientConnectorError too, but retrying it would not help.)
_NO_RESPONSE = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class AiohttpRequest(BaseRequest):
    def __init__(self, connection_pool_size: int = 16, *, read_timeout: float = 5.0, connect_timeout: float = 5.0,
                 pool_timeout: float = 1.0, media_write_timeout: float = 20.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=self._ssl if self._ssl else True)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        params = request_data.json_parameters if request_data else {}
        body: aiohttp.FormData | dict[str, str] = params
        if files:
            form = aiohttp.FormData()
            for name, value in params.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form

        def pick(value: ODVInput[float], default: float | None) -> float | None:
            return default if isinstance(value, DefaultValue) else value

        read = pick(read_timeout, self._read_timeout)
        write = pick(write_timeout, self._media_write_timeout if files else self._read_timeout)
        connect = (pick(connect_timeout, self._connect_timeout) or 0) + (pick(pool_timeout, self._pool_timeout) or 0)
        # aiohttp has no separate write timeout: a slow upload is bounded by the whole request's time instead.
        total = None if read is None or write is None else read + write + connect
        timeout = aiohttp.ClientTimeout(total=total, connect=connect or None, sock_read=read)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:  # no connection (or pool slot) in time: nothing was sent
            raise ConnectionFailed(_describe(exc, url)) from exc
        except TimeoutError as exc:  # sent, no answer in time: it may still land
            raise TimedOut from exc
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientSSLError as exc:
            raise NetworkError(_describe(exc, url)) from exc
        except _NO_RESPONSE as exc:
            raise ConnectionFailed(_describe(exc, url)) from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(_describe(exc, url)) from exc


def _describe(exc: Exception, url: str) -> str:
    """The URL carries the bot's token: keep it out of the message (and so out of any log)."""
    return f"aiohttp {type(exc).__name__}: {str(exc).replace(url, '<Bot API URL>')}"
