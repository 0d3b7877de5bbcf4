"""The only package that knows SQL: one SQLite file through one aiosqlite connection, versioned migrations,
transactions. Store is composed of one part per aggregate, all over the shared connection (connection.py):

  schema.py        MIGRATIONS (append-only) and the statement splitter
  connection.py    the connection: open, migrate, transaction, data_version, foreign keys, backup, low-level helpers
  places.py        places
  channels.py      channels
  notices.py       notices, managing units, notice ↔ channel links
  admins.py        admins
  audit.py         the audit log (append-only)
  pending.py       proposed changes waiting for Confirm (each closes once)
  reports.py       reports queued for the admins
  media.py         media_cache and the in-memory file_id memo
  people_state.py  conversations, user_prefs, seen_updates
  alerts.py        subscriptions, alerts and the outbox (one row per chat to tell), jobs' last runs
  files.py         whole database files: inspect_file, copy_database, fsync_path

Callers use `Store` and the names re-exported here, never the modules, and catch IntegrityError / StoreError
rather than sqlite3's (only this package imports sqlite3 and aiosqlite: an import-linter contract).
"""

from __future__ import annotations

from bot.store.admins import AdminsStore
from bot.store.alerts import ALERT, DIGEST, AlertsStore, OutboxRow, Subscription, Tally
from bot.store.audit import AuditStore
from bot.store.channels import ChannelsStore
from bot.store.connection import IntegrityError, StoreBase, StoreError, now_iso
from bot.store.files import REQUIRED_TABLES, copy_database, fsync_path, inspect_file
from bot.store.media import MediaStore
from bot.store.notices import NoticesStore
from bot.store.pending import PendingStore
from bot.store.people_state import PeopleStateStore
from bot.store.places import PlacesStore
from bot.store.reports import ReportsStore
from bot.store.schema import MIGRATIONS

__all__ = [
    "ALERT",
    "DIGEST",
    "MIGRATIONS",
    "REQUIRED_TABLES",
    "IntegrityError",
    "OutboxRow",
    "Store",
    "StoreError",
    "Subscription",
    "Tally",
    "copy_database",
    "fsync_path",
    "inspect_file",
    "now_iso",
]


class Store(PlacesStore, ChannelsStore, NoticesStore, AdminsStore, AuditStore, PendingStore, ReportsStore,
            MediaStore, PeopleStateStore, AlertsStore, StoreBase):
    """One connection, used by one event loop. Writes are serialised by a lock and run in one transaction."""
