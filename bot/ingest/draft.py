"""What the reader makes of a notice: a draft entry, every field read from the text or left None (and named in
`missing`). Nothing here is stored until an admin confirms it; `to_json` is the shape `python -m bot ingest --json`
prints, `payload` the shape the "ingest" change applies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# The number before the slash is stored only when it is one (ASCII digits); "…", "-" and blanks are unknown.
_NUMBER = re.compile(r"^[0-9]{1,6}$")


@dataclass
class DraftChannel:
    platform: str
    name: str | None  # the name the notice gives it; None when it gives none
    url: str  # canonical (bot.links)
    as_written: str  # exactly as the text writes it
    live_from: str | None = None  # ISO date
    status: str = "active"  # active | retired | superseded
    superseded_by: str | None = None  # canonical URL of its successor


@dataclass
class RefusedLink:
    text: str
    reason: str  # a LinkError code, or "named_fake" for a page the notice warns against
    detail: str = ""


@dataclass
class ManagingUnitDraft:
    name: str
    address: str | None = None
    phone: str | None = None
    emails: list[str] = field(default_factory=list)


@dataclass
class PlaceRef:
    slug: str
    name: str


@dataclass
class Draft:
    unit: PlaceRef | None = None  # the unit of today
    former_province: PlaceRef | None = None  # set when the notice predates the merger of its province
    issuer: str | None = None
    number: str | None = None  # as written: "/BBT-TTTTĐT" keeps its blank before the slash
    place: str | None = None  # the place in "Bến Tre, ngày … tháng 12 năm 2021"
    year: int | None = None
    month: int | None = None
    day: int | None = None
    subject: str | None = None
    summary: str | None = None  # never read (a summary is the admin's words); settable with /set summary
    recipients: list[str] = field(default_factory=list)
    channels: list[DraftChannel] = field(default_factory=list)
    managing_unit: ManagingUnitDraft | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    refused_links: list[RefusedLink] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)  # the units' own websites, named as contacts
    missing: list[str] = field(default_factory=list)

    # --- derived ---------------------------------------------------------------------------------------
    @property
    def place_slug(self) -> str | None:
        """Where the notice and its channels are filed: the former province when it predates the merger."""
        if self.former_province:
            return self.former_province.slug
        return self.unit.slug if self.unit else None

    def number_parts(self) -> tuple[str | None, str | None]:
        """(number, suffix) as stored: "/BBT-TTTTĐT" → (None, "BBT-TTTTĐT"); "15/TB-UBND" → ("15", "TB-UBND")."""
        if not self.number:
            return None, None
        before, slash, after = self.number.partition("/")
        if not slash:
            before, after = self.number, ""
        before = before.strip()
        return (before if _NUMBER.match(before) else None), (after.strip() or None)

    def recompute_missing(self) -> None:
        """The fields the text did not give (or left blank), by the names of the JSON keys."""
        number, suffix = self.number_parts()
        checks: list[tuple[str, object]] = [
            ("unit", self.unit), ("issuer", self.issuer), ("number", self.number), ("place", self.place),
            ("date", self.year), ("subject", self.subject), ("recipients", self.recipients),
            ("channels", self.channels), ("managing_unit", self.managing_unit), ("signer.name", self.signer_name),
            ("signer.title", self.signer_title),
        ]
        missing = [name for name, value in checks if not value]
        if self.number and number is None:
            missing.append("number.before_slash")
        if self.number and suffix is None:
            missing.append("number.after_slash")
        if self.year is not None:
            missing += [f"date.{k}" for k, v in (("month", self.month), ("day", self.day)) if v is None]
        if self.managing_unit:
            m = self.managing_unit
            missing += [f"managing_unit.{k}" for k, v in (("address", m.address), ("phone", m.phone),
                                                          ("emails", m.emails)) if not v]
        for i, c in enumerate(self.channels, 1):
            if not c.name:
                missing.append(f"channels[{i}].name")
        if self.channels and not any(c.live_from for c in self.channels):
            missing.append("channels.live_from")
        self.missing = missing

    # --- shapes ----------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        def ref(p: PlaceRef | None) -> dict[str, str] | None:
            return {"slug": p.slug, "name": p.name} if p else None

        m = self.managing_unit
        return {
            "unit": ref(self.unit) or {"slug": None, "name": None},
            "former_province": ref(self.former_province),
            "issuer": self.issuer,
            "number": self.number,
            "place": self.place,
            "date": {"year": self.year, "month": self.month, "day": self.day},
            "subject": self.subject,
            "recipients": list(self.recipients),
            "channels": [{"platform": c.platform, "name": c.name, "url": c.url, "as_written": c.as_written,
                          "live_from": c.live_from, "status": c.status, "superseded_by": c.superseded_by}
                         for c in self.channels],
            "managing_unit": {"name": m.name, "address": m.address, "phone": m.phone, "emails": list(m.emails)}
            if m else None,
            "signer": {"name": self.signer_name, "title": self.signer_title},
            "refused_links": [{"text": r.text, "reason": r.reason} for r in self.refused_links],
            "missing": list(self.missing),
        }

    def to_state(self) -> dict[str, Any]:
        """Everything, for keeping a draft between messages (a chat session) and reading it back."""
        data = self.to_json()
        data.update(summary=self.summary, contacts=list(self.contacts),
                    refused_links=[{"text": r.text, "reason": r.reason, "detail": r.detail}
                                   for r in self.refused_links])
        return data

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Draft:
        def ref(p: dict[str, Any] | None) -> PlaceRef | None:
            return PlaceRef(p["slug"], p["name"]) if p and p.get("slug") else None

        m = data.get("managing_unit")
        return cls(
            unit=ref(data.get("unit")), former_province=ref(data.get("former_province")), issuer=data.get("issuer"),
            number=data.get("number"), place=data.get("place"), year=data["date"]["year"],
            month=data["date"]["month"], day=data["date"]["day"], subject=data.get("subject"),
            summary=data.get("summary"), recipients=list(data.get("recipients") or []),
            channels=[DraftChannel(**c) for c in data.get("channels") or []],
            managing_unit=ManagingUnitDraft(m["name"], m.get("address"), m.get("phone"), list(m.get("emails") or []))
            if m else None,
            signer_name=data["signer"]["name"], signer_title=data["signer"]["title"],
            refused_links=[RefusedLink(r["text"], r["reason"], r.get("detail", "")) for r in data["refused_links"]],
            contacts=list(data.get("contacts") or []), missing=list(data.get("missing") or []),
        )
