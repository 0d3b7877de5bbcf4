"""How fast messages may go out to a platform, as arithmetic: no I/O, a clock passed in, so that the delivery
worker and the benchmark's simulated fan-out of 10,000 chats use the same rules.

Overall, messages are spaced evenly (one every 1/per_second s: never more than per_second in any second, even
at the edges of a window); a chat the platform limits on its own (a Telegram group: 20 a minute) gets at most
`per_chat` messages in any `chat_window` seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pace:
    per_second: float
    per_chat: int | None = None  # None: no limit of its own per chat
    chat_window: float = 60.0
    limited: Callable[[str], bool] = lambda chat_id: True  # which chats the per-chat limit applies to
    _next_free: float = 0.0
    _sent: dict[str, deque[float]] = field(default_factory=dict)

    def chat_wait(self, chat_id: str, cost: int, now: float) -> float:
        """Seconds until `cost` more messages fit this chat's window (0: now)."""
        if self.per_chat is None or not self.limited(chat_id):
            return 0.0
        sent = self._sent.get(chat_id)
        if sent is None:
            return 0.0
        while sent and sent[0] <= now - self.chat_window:
            sent.popleft()
        if not sent:
            del self._sent[chat_id]
            return 0.0
        over = len(sent) + cost - self.per_chat
        if over <= 0:
            return 0.0
        # The window has room once the `over` oldest sends have left it.
        return sent[min(over, len(sent)) - 1] + self.chat_window - now

    def reserve(self, chat_id: str, cost: int, now: float) -> float:
        """The moment (≥ now) at which `cost` messages to this chat may start; they are counted from then."""
        start = max(now, self._next_free)
        self._next_free = start + cost / self.per_second
        if self.per_chat is not None and self.limited(chat_id):
            sent = self._sent.setdefault(chat_id, deque())
            sent.extend([start] * cost)
        return start


def telegram_pace() -> Pace:
    """Telegram: about 30 messages a second overall and 20 a minute per group. Alerts keep 5 a second free for
    answers to users, and count a minute as 61 s (arrival jitter at Telegram's end)."""
    return Pace(per_second=25.0, per_chat=20, chat_window=61.0, limited=lambda chat_id: chat_id.startswith("-"))


def zalo_pace() -> Pace:
    """Zalo documents no rate, only a 429 "quota exceeded" (and 3,000 messages a month on the free plan):
    a gentle 5 a second, backing off on a 429."""
    return Pace(per_second=5.0)


def console_pace() -> Pace:
    return Pace(per_second=1000.0)


def fan_out_seconds(chats: int, cost: int, pace: Pace) -> float:
    """How long one alert to `chats` chats (each `cost` messages) takes at this pace: simulated, no sleeping."""
    end = 0.0
    for i in range(chats):
        chat = f"-{i + 1}"
        now = end
        wait = pace.chat_wait(chat, cost, now)
        end = pace.reserve(chat, cost, now + wait)
    return end + cost / pace.per_second
