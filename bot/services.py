"""The registry's operations, for every front-end: look up a unit's channels and notices, verify a link.

Nothing here knows about Telegram or about wording: services return data; handlers turn it into Replies.
Reads of a unit are cached in memory and dropped on every write, so the hot path (/channels, inline) costs a
dictionary lookup once a unit has been seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.cards import ALBUM_SIZE, CardCache, CardEntry, CardSpec, card_pages, paginate
from bot.i18n import VI, bilingual, t
from bot.links import MAX_URL_LENGTH, PLATFORM_LABELS, Link, LinkError
from bot.models import Channel, Notice
from bot.places import Gazetteer, Place, Resolution
from bot.replies import Album, Image
from bot.store import Store
from bot.verification import judge


def format_date(iso: str | None) -> str:
    """"2025-11" → "11/2025"; "2025-11-23" → "23/11/2025": the order Vietnamese documents use."""
    if not iso:
        return "—"
    return "/".join(reversed(iso[:10].split("-")))


def notice_number(notice: Notice) -> str:
    """The number as known: "…/VPUB-TTĐH" when the document leaves the part before the slash blank."""
    if notice.number and notice.number_suffix:
        return f"{notice.number}/{notice.number_suffix}"
    if notice.number_suffix:
        return f"…/{notice.number_suffix}"
    return notice.number or "…"


def notice_date(notice: Notice) -> str:
    """The date as known: "12/2021" when the day is blank, "05/12/2021" when it is not."""
    if notice.month is None:
        return str(notice.year)
    if notice.day is None:
        return f"{notice.month:02d}/{notice.year}"
    return f"{notice.day:02d}/{notice.month:02d}/{notice.year}"


def notice_reference(notice: Notice, lang: str = "vi") -> str:
    """One line that names a notice: issuer, number as known, date as known."""
    return f"{notice.issuer}, {t('card_number', lang)} {notice_number(notice)}, {notice_date(notice)}"


def card_source(view: ChannelView) -> str:
    """The channel's own source, as the card image prints it (bilingual: one card for every reader)."""
    if view.notice is not None:
        return f"{bilingual('card_source')}: {notice_reference(view.notice)}"
    return bilingual("card_added_by_admin", date=format_date(view.channel.verified_on))


@dataclass(frozen=True)
class ChannelView:
    channel: Channel
    place: Place  # the unit or former province it belongs to
    notice: Notice | None

    @property
    def platform_label(self) -> str:
        return PLATFORM_LABELS.get(self.channel.platform, self.channel.platform)


@dataclass(frozen=True)
class UnitView:
    """Everything a unit's card shows, in the order it shows it."""

    unit: Place
    merged: tuple[Place, ...]  # former provinces with another name that went into it
    channels: tuple[ChannelView, ...]
    notices: tuple[Notice, ...]  # the newest MAX_SOURCES notices behind those channels, newest first
    more_notices: int  # how many more notices stand behind them
    as_of: str | None
    card: CardSpec
    # The card as images (one unless there are many channels; see cards.paginate), and their content hashes:
    # the keys of the card cache and of the file_id cache, computed once per view, not once per request.
    pages: tuple[CardSpec, ...] = field(default=(), compare=False)
    page_keys: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.pages:
            object.__setattr__(self, "pages", paginate(self.card))
        if not self.page_keys:
            object.__setattr__(self, "page_keys", tuple(p.content_hash() for p in self.pages))

    @property
    def card_key(self) -> str:
        """The key of a one-image card (what inline mode can share as a photo); a many-image card has none
        stored under this key, so inline shares its text."""
        return self.page_keys[0] if len(self.pages) == 1 else "album:" + self.page_keys[0]

    @property
    def albums(self) -> int:
        """How many albums of up to 10 images the card takes: the pages of `/channels <unit> <n>`."""
        return -(-len(self.pages) // ALBUM_SIZE)

    def album_entries(self, number: int) -> tuple[int, int]:
        """The channels album `number` (1-based) shows, as a slice of `channels`."""
        before = self.pages[: (number - 1) * ALBUM_SIZE]
        inside = self.pages[(number - 1) * ALBUM_SIZE : number * ALBUM_SIZE]
        start = sum(len(p.entries) for p in before)
        return start, start + sum(len(p.entries) for p in inside)


@dataclass(frozen=True)
class NoticePage:
    unit: Place
    notices: list[Notice]
    channels: dict[int, Channel]  # the channels these notices announced, by id
    page: int
    pages: int


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this link official?"."""

    status: str  # one of bot.verification.DANGER
    link: Link | None = None
    error: LinkError | None = None
    view: ChannelView | None = None
    unit: Place | None = None
    successor: Channel | None = None
    resembles: Channel | None = None  # the registered page a look-alike imitates


MAX_SOURCES = 3  # sources named on a card; the rest are a /notice away
NOTICES_PER_PAGE = 3
CACHE_SIZE = 4096  # entries per answer cache: bounded, and dropped whole on every write


class Registry:
    def __init__(self, store: Store, gazetteer: Gazetteer, cards: CardCache | None = None, *,
                 review_months: int = 12) -> None:
        self.store = store
        self.places = gazetteer
        self.cards = cards or CardCache()
        # BOT_REVIEW_MONTHS: a channel not verified for this long is due for review (bot.upkeep, /review). Kept
        # here because every front-end hands its handlers the registry, not the settings.
        self.review_months = review_months
        self._views: dict[str, UnitView] = {}
        # One build per unit at a time, per epoch.
        self._building: dict[tuple[str, object], asyncio.Future[UnitView]] = {}
        # Replaced by every write: a view built across one is not kept, and answers memoized on it
        # (bot.memo.ViewMemo), such as /verify's, are renewed by the write itself.
        self.epoch = object()
        self._all_channels: tuple[dict[str, Channel], list[Channel]] | None = None
        # Answers that only a write can change, kept until the next one (changed()): /notice pages and verdicts.
        self._notice_pages: dict[tuple[str, int], NoticePage] = {}
        self._verdicts: dict[str, Verdict] = {}
        # Told after every write, here or (through bot.watch) in another process: the outbox worker wakes.
        self.listeners: list[Callable[[], None]] = []

    def resolve(self, query: str) -> Resolution:
        return self.places.resolve(query)

    def changed(self, *place_slugs: str) -> None:
        """Call after every write, naming the places written (none: everything may have changed).

        Only the views of their units are dropped; each is rebuilt, with its card, on its next read.
        """
        self.epoch = object()
        self._all_channels = None
        self._notice_pages.clear()
        self._verdicts.clear()
        if not place_slugs:
            self._views.clear()
        for slug in place_slugs:
            self._views.pop(self.places.places[slug].unit_slug, None)
        for listener in self.listeners:
            listener()

    def scope(self, unit: Place) -> list[str]:
        """The place slugs whose channels and notices a unit shows: itself and the provinces that went into it."""
        return [unit.slug, *(p.slug for p in self.places.members(unit))]

    async def unit_view(self, place: Place) -> UnitView:
        unit = self.places.unit_of(place)
        view = self._views.get(unit.slug)
        if view is not None:
            return view
        key = (unit.slug, self.epoch)
        building = self._building.get(key)
        if building is None:  # a task of its own: a waiter cancelled (its update timed out) cancels no one else
            building = self._building[key] = asyncio.ensure_future(self._build_and_keep(unit, key))
        return await asyncio.shield(building)

    async def settle(self) -> None:
        """Wait for the views being built (before the store closes under them)."""
        while self._building:
            await asyncio.gather(*self._building.values(), return_exceptions=True)

    async def _build_and_keep(self, unit: Place, key: tuple[str, object]) -> UnitView:
        epoch = self.epoch
        try:
            view = await self._build_view(unit)
            if epoch is self.epoch:  # no write since it was read: it is the current view
                self._views[unit.slug] = view
            return view
        finally:
            del self._building[key]

    async def _build_view(self, unit: Place) -> UnitView:
        return await self.compose_view(unit, await self.store.channels_of(self.scope(unit)))

    async def compose_view(self, unit: Place, channels: list[Channel]) -> UnitView:
        """A unit's view from a given list of active channels: the real one, or a preview of a change.

        Each channel carries its own source (never another channel's), and the channels of former provinces come
        after the unit's own, as a section of their own."""
        notice_ids = {c.notice_id for c in channels if c.notice_id}
        every = await self.store.notices_by_ids(notice_ids) if notice_ids else []
        by_id = {n.id: n for n in every}
        views = tuple(sorted(
            (ChannelView(c, self.places.places[c.place_slug], by_id.get(c.notice_id or 0)) for c in channels),
            key=lambda v: self.is_former_channel(unit, v)))  # stable: the registry's order within each section
        newest = tuple(every[:MAX_SOURCES])
        as_of = max((c.verified_on for c in channels), default=None)
        merged = tuple(self.places.merged_members(unit))
        more = len(every) - len(newest)
        spec = self._card_spec(unit, merged, views, newest, more, as_of)
        pages, keys = await card_pages(spec)
        return UnitView(unit, merged, views, newest, more, as_of, spec, pages, keys)

    def is_former_channel(self, unit: Place, view: ChannelView) -> bool:
        """A channel of a province that has since merged into `unit` under another name (Bến Tre's page)."""
        return view.place.slug != unit.slug and view.place.name != unit.name

    def card_png(self, view: UnitView) -> bytes:
        """The unit's card (its first image), drawn once per content (CardCache)."""
        return self.cards.get(view.pages[0])[1]

    def card_picture(self, view: UnitView, album: int = 1) -> Image | Album:
        """Album `album`'s images of the unit's card, drawn only when a front-end needs their bytes: off the
        event loop and once per content however many ask (`Image.load`), or on the caller's thread (`render`)."""
        cards, slug = self.cards, view.unit.slug
        first = (album - 1) * ALBUM_SIZE
        numbered = list(enumerate(zip(view.pages, view.page_keys, strict=True)))[first : first + ALBUM_SIZE]

        def image(i: int, spec: CardSpec, key: str) -> Image:
            name = f"{slug}.png" if len(view.pages) == 1 else f"{slug}-{i + 1}.png"
            return Image(key, name, lambda: cards.get(spec)[1], lambda: cards.render(spec, key))

        images = tuple(image(i, spec, key) for i, (spec, key) in numbered)
        return images[0] if len(images) == 1 else Album(images)

    def _card_spec(self, unit: Place, merged: tuple[Place, ...], views: tuple[ChannelView, ...],
                   notices: tuple[Notice, ...], more: int, as_of: str | None) -> CardSpec:
        # The card travels alone (forwarded, printed): it names the unit, its sources and its date itself.
        # Only the bilingual parts say it twice; the names of former provinces are in Vietnamese alone.
        subtitle = bilingual("card_subtitle", sep=" · ")
        if merged:
            subtitle += " — " + t("card_includes", VI, names=", ".join(p.name for p in merged))
        entries = tuple(
            CardEntry(
                v.platform_label,
                v.channel.name if not self.is_former_channel(unit, v)
                else t("card_former_channel", VI, name=v.channel.name, old=v.place.name),
                v.channel.url,
                card_source(v),
            )
            for v in views
        )
        footer: tuple[str, ...] = ()
        if any(self.is_former_channel(unit, v) for v in views):
            footer += (bilingual("card_former_note"),)
        footer += (f"{bilingual('card_as_of')}: {format_date(as_of)}",) if as_of else (t("card_no_channels", VI),)
        return CardSpec(unit.full_name, subtitle, entries, footer)

    async def notices_of(self, place: Place, page: int = 1) -> NoticePage:
        """A page of the unit's notices, newest first, with the channels they announced (any status)."""
        unit = self.places.unit_of(place)
        known = self._notice_pages.get((unit.slug, page))
        if known is None:
            known = await self._notices_page(unit, page)
            if len(self._notice_pages) >= CACHE_SIZE:
                self._notice_pages.clear()
            self._notice_pages[(unit.slug, page)] = known
        return known

    async def _notices_page(self, unit: Place, page: int) -> NoticePage:
        scope = self.scope(unit)
        pages = max(1, -(-await self.store.count_notices_of(scope) // NOTICES_PER_PAGE))
        page = min(max(page, 1), pages)
        notices = await self.store.notices_of(scope, NOTICES_PER_PAGE, (page - 1) * NOTICES_PER_PAGE)
        wanted = {c for n in notices for c in n.channel_ids}
        every_status = ("active", "superseded", "retired")
        channels = {c.id: c for c in await self.store.channels_of(scope, every_status) if c.id in wanted}
        return NoticePage(unit, notices, channels, page, pages)

    async def coverage(self) -> dict[str, int]:
        """Active channels per unit (slug → count), for menus and the welcome text."""
        return {u.slug: len((await self.unit_view(u)).channels) for u in self.places.units()}

    async def verify(self, text: str) -> Verdict:
        """The verdict on one link (see bot/verification.py for the kinds of answer), kept until the next write."""
        known = self._verdicts.get(text)
        if known is None:
            known = await self._verify(text)
            if len(text) <= MAX_URL_LENGTH:  # longer texts are refused at once anyway: not worth the memory
                if len(self._verdicts) >= CACHE_SIZE:
                    self._verdicts.clear()
                self._verdicts[text] = known
        return known

    async def _verify(self, text: str) -> Verdict:
        by_url, registered = await self._registered()
        judged = judge(text, by_url, registered)
        verdict = Verdict(judged.status, link=judged.link, error=judged.error, resembles=judged.resembles)
        channel = judged.channel
        if channel is None:
            return verdict
        place = self.places.places[channel.place_slug]
        notice = None
        if channel.notice_id:
            found = await self.store.notices_by_ids([channel.notice_id])
            notice = found[0] if found else None
        successor = await self.store.channel_by_id(channel.superseded_by) if channel.superseded_by else None
        return replace(verdict, view=ChannelView(channel, place, notice), unit=self.places.unit_of(place),
                       successor=successor)

    async def _registered(self) -> tuple[dict[str, Channel], list[Channel]]:
        """Every registered channel (any status), by URL too; kept until the next write."""
        if self._all_channels is None:
            channels = await self.store.all_channels()
            self._all_channels = ({c.url: c for c in channels}, channels)
        return self._all_channels
