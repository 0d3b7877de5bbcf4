"""Settings from the environment, read once at start-up."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.people import Person, parse_person
from bot.validate import ascii_int

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    token: str = field(default="", repr=False)  # never printed: repr hides it
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    db_path: Path = ROOT / "data" / "bot.sqlite3"
    data_dir: Path = ROOT / "data"
    media_dir: Path = Path(tempfile.gettempdir()) / "kenh-chinh-thuc-media"
    admin_ids: frozenset[Person] = frozenset()  # BOT_ADMIN_IDS: "123" (Telegram), "zalo:<id>"
    rate_limit: bool = True
    concurrency: int = 32
    zalo_token: str = field(default="", repr=False)  # ZALO_BOT_TOKEN: the Zalo Bot Platform front-end
    zalo_base_url: str = "https://bot-api.zaloplatforms.com"  # the older https://bot-api.zapps.me still answers
    zalo_webhook_secret: str = field(default="", repr=False)  # set: webhook mode (8-256 characters); else polling
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    log_level: str = "INFO"
    backup_dir: Path | None = None  # None: no scheduled backups
    backup_interval: float = 86400.0  # seconds
    backup_keep: int = 14
    # The one web server: card images, the public directory, /healthz and the webhooks (Telegram, Zalo).
    http_listen: str = "0.0.0.0"
    http_port: int = 8443  # 0: any free port
    export_dir: Path | None = None  # BOT_EXPORT_DIR: the directory re-exported as static files after each change
    public_url: str = ""  # e.g. https://kenh.example.gov.vn: cards link to their page, snippets use it
    review_months: int = 12  # BOT_REVIEW_MONTHS: a channel not verified for this long is due for /review

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        defaults = cls()
        return cls(
            token=e.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=e.get("TELEGRAM_BASE_URL") or defaults.base_url,
            base_file_url=e.get("TELEGRAM_BASE_FILE_URL") or defaults.base_file_url,
            db_path=Path(e.get("BOT_DB_PATH") or defaults.db_path),
            data_dir=Path(e.get("BOT_DATA_DIR") or defaults.data_dir),
            media_dir=Path(e.get("BOT_MEDIA_DIR") or defaults.media_dir),
            admin_ids=parse_ids(e.get("BOT_ADMIN_IDS", "")),
            rate_limit=e.get("BOT_RATE_LIMIT", "1").strip() not in ("0", "false", "no", "off"),
            concurrency=max(1, int(e.get("BOT_CONCURRENCY") or defaults.concurrency)),
            zalo_token=e.get("ZALO_BOT_TOKEN", "").strip(),
            zalo_base_url=(e.get("ZALO_BASE_URL") or defaults.zalo_base_url).strip().rstrip("/"),
            zalo_webhook_secret=e.get("ZALO_WEBHOOK_SECRET", "").strip(),
            webhook_url=e.get("BOT_WEBHOOK_URL", "").strip(),
            webhook_secret=e.get("BOT_WEBHOOK_SECRET", "").strip(),
            log_level=(e.get("BOT_LOG_LEVEL") or defaults.log_level).upper(),
            backup_dir=Path(e["BOT_BACKUP_DIR"]) if e.get("BOT_BACKUP_DIR", "").strip() else None,
            backup_interval=parse_duration(e.get("BOT_BACKUP_INTERVAL") or str(defaults.backup_interval)),
            backup_keep=max(1, int(e.get("BOT_BACKUP_KEEP") or defaults.backup_keep)),
            http_listen=e.get("BOT_HTTP_LISTEN") or defaults.http_listen,
            http_port=int(e.get("BOT_HTTP_PORT") or defaults.http_port),
            public_url=e.get("BOT_PUBLIC_URL", "").strip().rstrip("/"),
            export_dir=Path(e["BOT_EXPORT_DIR"]) if e.get("BOT_EXPORT_DIR", "").strip() else None,
            review_months=parse_review_months(e.get("BOT_REVIEW_MONTHS", ""), defaults.review_months),
        )


def parse_ids(text: str) -> frozenset[Person]:
    """BOT_ADMIN_IDS: Telegram ids as plain numbers, others as "zalo:<id>", separated by commas."""
    ids = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if part:
            person = parse_person(part)
            if person is None:
                raise ValueError(f"BOT_ADMIN_IDS: not a user id: {part!r} (a Telegram id, or zalo:<id>)")
            ids.add(person)
    return frozenset(ids)


REVIEW_MONTHS_RANGE = (1, 120)


def parse_review_months(text: str, default: int) -> int:
    """BOT_REVIEW_MONTHS: a whole number of months, 1 to 120 (ten years); unset or blank: `default`."""
    if not text.strip():
        return default
    low, high = REVIEW_MONTHS_RANGE
    months = ascii_int(text, low, high)
    if months is None:
        raise ValueError(f"BOT_REVIEW_MONTHS: must be a whole number of months from {low} to {high}: {text!r}")
    return months


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds from "3600", "30m", "6h" or "1d" (BOT_BACKUP_INTERVAL)."""
    value = text.strip().lower()
    factor = _UNITS.get(value[-1:], 0)
    try:
        seconds = float(value[:-1] if factor else value) * (factor or 1)
    except ValueError:
        raise ValueError(f"BOT_BACKUP_INTERVAL: not a duration: {text!r} (e.g. 86400, 30m, 6h, 1d)") from None
    if not 0 < seconds < float("inf"):
        raise ValueError(f"BOT_BACKUP_INTERVAL: must be a positive number of seconds: {text!r}")
    return seconds
