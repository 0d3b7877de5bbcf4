"""Records the registry holds. Plain data: the store fills them, services and handlers read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.people import Person


@dataclass(frozen=True)
class ManagingUnit:
    name: str
    address: str | None = None
    phone: str | None = None
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """An official document. What it leaves blank (number before the slash, day) stays None."""

    id: int
    place_slug: str
    issuer: str
    number: str | None
    number_suffix: str | None
    year: int
    month: int | None
    day: int | None
    location: str | None
    subject: str
    summary: str | None
    signer: str | None
    signer_title: str | None
    recipients: tuple[str, ...] = ()
    url: str | None = None
    managing_unit: ManagingUnit | None = None
    key: str | None = None
    channel_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class Channel:
    id: int
    place_slug: str
    platform: str
    name: str
    url: str
    status: str  # active | superseded | retired
    notice_id: int | None
    verified_on: str  # ISO date, "YYYY-MM" when only the month is known
    as_written: str | None = None
    since: str | None = None
    superseded_by: int | None = None
    created_at: str | None = None  # ISO UTC: when the row was added
    updated_at: str | None = None  # ISO UTC: its last change (a retired channel: "no longer in use since")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: Person
    actor_name: str | None
    action: str
    place_slug: str | None
    entity: str
    entity_id: int | None
    before: dict | None
    after: dict | None
    undoes: int | None
