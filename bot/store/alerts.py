"""Subscriptions, alerts and the outbox (tables subscriptions, alerts, alert_changes, outbox, jobs).

Invariants:
- a subscription is (platform, chat, unit); a chat's language for its alerts is kept with it;
- an alert belongs to one unit and gathers the audit rows of the changes it tells of (each change is in at most
  one alert per unit: alert_changes' key), and its outbox rows are written with it, in the change's transaction;
- an outbox row is (kind, ref, platform, chat) — unique, so one chat is told of one alert once — and moves
  pending → sending → sent | failed | dropped; only a pending row can be claimed (the claim is the write that
  makes two senders, or a restart, never send it twice).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.store.connection import StoreBase, _marks, now_iso

PENDING, SENDING, SENT, FAILED, DROPPED = "pending", "sending", "sent", "failed", "dropped"
ALERT, DIGEST = "alert", "digest"


@dataclass(frozen=True, slots=True)
class Subscription:
    platform: str
    chat_id: str
    unit_slug: str
    lang: str
    subscribed_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    kind: str
    ref: int
    platform: str
    chat_id: str
    lang: str
    state: str
    attempts: int
    next_at: float


@dataclass(frozen=True, slots=True)
class Tally:
    """How an alert, a change or the whole outbox went: rows sent, waiting (pending or in flight), failed and
    dropped (the chat ended its subscription, or the bot was removed, before it went out)."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    dropped: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.dropped


class AlertsStore(StoreBase):
    # --- subscriptions -----------------------------------------------------------------------------------
    async def subscribe(self, platform: str, chat_id: str, unit_slug: str, lang: str, by: str) -> bool:
        """True when new; an existing subscription keeps its date and takes the new language."""
        async with self.transaction():
            added = await self._rows_changed(
                "INSERT OR IGNORE INTO subscriptions (platform, chat_id, unit_slug, lang, subscribed_by, created_at) "
                "VALUES (?,?,?,?,?,?)", (platform, chat_id, unit_slug, lang, by, now_iso()))
            if not added:
                await self._exec("UPDATE subscriptions SET lang = ? WHERE platform = ? AND chat_id = ? AND "
                                 "unit_slug = ?", (lang, platform, chat_id, unit_slug))
        return bool(added)

    async def unsubscribe(self, platform: str, chat_id: str, unit_slugs: Iterable[str] | None = None) -> list[str]:
        """Ends the chat's subscriptions to these units (None: all of them), and drops what was still waiting
        to go out to it for those units. Returns the units it was subscribed to."""
        async with self.transaction():
            return await self._unsubscribe(platform, chat_id, unit_slugs)

    async def _unsubscribe(self, platform: str, chat_id: str, unit_slugs: Iterable[str] | None) -> list[str]:
        where, params = "platform = ? AND chat_id = ?", [platform, chat_id]
        if unit_slugs is not None:
            slugs = list(unit_slugs)
            where += f" AND unit_slug IN ({_marks(slugs)})"
            params += slugs
        rows = await self._all(f"SELECT unit_slug FROM subscriptions WHERE {where}", params)
        await self._exec(f"DELETE FROM subscriptions WHERE {where}", params)
        ended = [r["unit_slug"] for r in rows]
        if ended:
            await self._exec(
                "UPDATE outbox SET state = 'dropped', done_at = ?, error = 'unsubscribed' WHERE kind = 'alert' "
                f"AND state = 'pending' AND platform = ? AND chat_id = ? AND ref IN (SELECT id FROM alerts WHERE "
                f"unit_slug IN ({_marks(ended)}))", [now_iso(), platform, chat_id, *ended])
        return ended

    async def subscriptions_of(self, platform: str, chat_id: str) -> list[Subscription]:
        rows = await self._all("SELECT * FROM subscriptions WHERE platform = ? AND chat_id = ? ORDER BY created_at, "
                               "unit_slug", (platform, chat_id))
        return [_subscription(r) for r in rows]

    async def subscriber_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT unit_slug, COUNT(*) AS n FROM subscriptions GROUP BY unit_slug")
        return {r["unit_slug"]: int(r["n"]) for r in rows}

    async def chat_gone(self, platform: str, chat_id: str, reason: str) -> list[str]:
        """The bot can no longer write to this chat (removed, blocked): its subscriptions end, and whatever was
        waiting for it is dropped (digests included)."""
        async with self.transaction():  # the platform's reason first: unsubscribing would say "unsubscribed"
            await self._exec("UPDATE outbox SET state = 'dropped', done_at = ?, error = ? WHERE platform = ? AND "
                             "chat_id = ? AND state IN ('pending', 'sending')", (now_iso(), reason, platform, chat_id))
            return await self._unsubscribe(platform, chat_id, None)

    async def chat_moved(self, platform: str, old_chat: str, new_chat: str) -> int:
        """A group that became a supergroup: its subscriptions, and what waits for it, move to the new id (a
        subscription the new id already has is kept once). Returns how many subscriptions moved."""
        async with self.transaction():
            moved = await self._rows_changed(
                "UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new_chat, platform, old_chat))
            await self._exec("DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?", (platform, old_chat))
            await self._exec("UPDATE OR IGNORE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ? AND state IN "
                             "('pending', 'sending')", (new_chat, platform, old_chat))
            await self._exec("UPDATE outbox SET state = 'dropped', done_at = ?, error = 'moved' WHERE platform = ? "
                             "AND chat_id = ? AND state IN ('pending', 'sending')", (now_iso(), platform, old_chat))
        return moved

    # --- alerts (called inside the change's transaction) -------------------------------------------------
    async def newest_alert(self, unit_slug: str) -> tuple[int, float] | None:
        row = await self._one("SELECT id, due_at FROM alerts WHERE unit_slug = ? ORDER BY id DESC LIMIT 1",
                              (unit_slug,))
        return (int(row["id"]), float(row["due_at"])) if row else None

    async def add_alert(self, unit_slug: str, due_at: float) -> int:
        """A new alert and one outbox row per chat subscribed to the unit now, each due at `due_at`."""
        alert_id = await self._exec("INSERT INTO alerts (unit_slug, created_at, due_at) VALUES (?,?,?)",
                                    (unit_slug, now_iso(), due_at))
        await self._exec(
            "INSERT OR IGNORE INTO outbox (kind, ref, platform, chat_id, lang, next_at) SELECT 'alert', ?, platform, "
            "chat_id, lang, ? FROM subscriptions WHERE unit_slug = ?", (alert_id, due_at, unit_slug))
        return alert_id

    async def add_alert_change(self, alert_id: int, audit_id: int) -> None:
        await self._exec("INSERT OR IGNORE INTO alert_changes (alert_id, audit_id) VALUES (?,?)", (alert_id, audit_id))

    async def alert(self, alert_id: int) -> tuple[str, list[int]] | None:
        """An alert's unit and the audit rows of its changes, oldest first."""
        row = await self._one("SELECT unit_slug FROM alerts WHERE id = ?", (alert_id,))
        if row is None:
            return None
        ids = await self._all("SELECT audit_id FROM alert_changes WHERE alert_id = ? ORDER BY audit_id", (alert_id,))
        return str(row["unit_slug"]), [int(r["audit_id"]) for r in ids]

    # --- the outbox ----------------------------------------------------------------------------------------
    async def add_direct(self, kind: str, ref: int, platform: str, chat_id: str, lang: str, next_at: float) -> bool:
        """One message to one chat (a digest), once per (kind, ref, chat). False if it was queued before."""
        async with self.transaction():
            return bool(await self._rows_changed(
                "INSERT OR IGNORE INTO outbox (kind, ref, platform, chat_id, lang, next_at) VALUES (?,?,?,?,?,?)",
                (kind, ref, platform, chat_id, lang, next_at)))

    async def due_outbox(self, now: float, platforms: Iterable[str], limit: int) -> list[OutboxRow]:
        names = list(platforms)
        rows = await self._all(
            f"SELECT * FROM outbox WHERE state = 'pending' AND next_at <= ? AND platform IN ({_marks(names)}) "
            "ORDER BY next_at, id LIMIT ?", [now, *names, limit])
        return [_outbox(r) for r in rows]

    async def next_due(self, platforms: Iterable[str]) -> float | None:
        names = list(platforms)
        row = await self._one(f"SELECT MIN(next_at) FROM outbox WHERE state = 'pending' AND platform IN "
                              f"({_marks(names)})", names)
        return float(row[0]) if row and row[0] is not None else None

    async def claim(self, row_id: int) -> bool:
        """pending → sending, committed before the send: False if someone else took it (or it was dropped)."""
        async with self.transaction():
            return await self._exec("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? AND "
                                    "state = 'pending'", (row_id,)) > 0

    async def settle(self, row_id: int, state: str, error: str | None = None) -> None:
        """sending → sent / failed / dropped."""
        async with self.transaction():
            await self._exec("UPDATE outbox SET state = ?, error = ?, done_at = ? WHERE id = ? AND state = 'sending'",
                             (state, error, now_iso(), row_id))

    async def retry_at(self, row_id: int, next_at: float, error: str) -> None:
        """sending → pending again, not before `next_at` (a 429's retry_after, a 5xx's back-off)."""
        async with self.transaction():
            await self._exec("UPDATE outbox SET state = 'pending', next_at = ?, error = ? WHERE id = ? AND "
                             "state = 'sending'", (next_at, error, row_id))

    async def defer(self, row_id: int, next_at: float) -> None:
        """A pending row not sent yet because its chat's window is full: not before `next_at`."""
        async with self.transaction():
            await self._exec("UPDATE outbox SET next_at = ? WHERE id = ? AND state = 'pending'", (next_at, row_id))

    async def in_flight_at_start(self, note: str) -> int:
        """Rows left `sending` by a process that died mid-send: the platform may well have delivered them, and
        none of the platforms can tell, so they are counted as sent (noted), never sent twice."""
        async with self.transaction():
            return await self._exec("UPDATE outbox SET state = 'sent', error = ?, done_at = ? WHERE state = 'sending'",
                                    (note, now_iso()))

    async def outbox_tally(self) -> Tally:
        rows = await self._all("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return _tally(rows)

    async def change_tallies(self, audit_ids: Iterable[int]) -> dict[int, Tally]:
        """For each change (audit row), how its alerts went: one row per chat and alert it was in."""
        ids = list(audit_ids)
        rows = await self._all(
            "SELECT c.audit_id, o.state, COUNT(*) AS n FROM alert_changes c JOIN outbox o ON o.kind = 'alert' AND "
            f"o.ref = c.alert_id WHERE c.audit_id IN ({_marks(ids)}) GROUP BY c.audit_id, o.state", ids)
        grouped: dict[int, list[sqlite3.Row]] = {}
        for r in rows:
            grouped.setdefault(int(r["audit_id"]), []).append(r)
        return {audit_id: _tally(found) for audit_id, found in grouped.items()}

    # --- jobs -------------------------------------------------------------------------------------------------
    async def job_last_run(self, name: str) -> str | None:
        row = await self._one("SELECT last_run FROM jobs WHERE name = ?", (name,))
        return str(row["last_run"]) if row else None

    async def job_ran(self, name: str, at: str) -> None:
        async with self.transaction():
            await self._exec("INSERT INTO jobs (name, last_run) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                             "last_run = excluded.last_run", (name, at))


def _subscription(r: sqlite3.Row) -> Subscription:
    return Subscription(r["platform"], r["chat_id"], r["unit_slug"], r["lang"], r["subscribed_by"], r["created_at"])


def _outbox(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(int(r["id"]), r["kind"], int(r["ref"]), r["platform"], r["chat_id"], r["lang"], r["state"],
                     int(r["attempts"]), float(r["next_at"]))


def _tally(rows: Iterable[sqlite3.Row]) -> Tally:
    counts = {r["state"]: int(r["n"]) for r in rows}
    return Tally(sent=counts.get(SENT, 0), pending=counts.get(PENDING, 0) + counts.get(SENDING, 0),
                 failed=counts.get(FAILED, 0), dropped=counts.get(DROPPED, 0))
