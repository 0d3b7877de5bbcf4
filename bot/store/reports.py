"""Reports: what anyone reports (a wrong, fake or missing channel), queued for the admins (table reports).

Invariant: a report is resolved once (open → resolved, by whom and when); resolving it again changes nothing.
"""

from __future__ import annotations

from bot.people import Person
from bot.store.connection import StoreBase, now_iso


class ReportsStore(StoreBase):
    """The reports table."""

    async def add_report(self, reporter: Person, reporter_name: str | None, subject: str, text: str) -> int:
        async with self.transaction():
            return await self._exec(
                "INSERT INTO reports (at, reporter_platform, reporter_id, reporter_name, subject, text) "
                "VALUES (?,?,?,?,?,?)", (now_iso(), reporter.platform, reporter.id, reporter_name, subject, text),
            )

    async def open_reports(self, limit: int = 20) -> tuple[int, list[tuple[int, str, Person, str | None, str, str]]]:
        """(how many are open, the oldest `limit` of them as (id, at, reporter, name, subject, text))."""
        total = await self._one("SELECT COUNT(*) FROM reports WHERE state = 'open'")
        rows = await self._all("SELECT id, at, reporter_platform, reporter_id, reporter_name, subject, text "
                               "FROM reports WHERE state = 'open' ORDER BY id LIMIT ?", (limit,))
        return int(total[0]) if total else 0, [(r[0], r[1], Person(r[2], r[3]), r[4], r[5], r[6]) for r in rows]

    async def resolve_report(self, report_id: int, by: Person) -> bool:
        async with self.transaction():
            return await self._exec("UPDATE reports SET state = 'resolved', resolved_by = ?, resolved_at = ? "
                                    "WHERE id = ? AND state = 'open'", (by.key, now_iso(), report_id)) == 1
