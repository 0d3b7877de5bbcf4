"""Opening the registry: the store, the places, the seed. Shared by every front-end and CLI command."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.links import LinkError, parse_link
from bot.places import load_gazetteer
from bot.seed import seed
from bot.services import Registry
from bot.store import Store

log = logging.getLogger(__name__)


async def open_registry(settings: Settings) -> Registry:
    gazetteer = load_gazetteer(settings.data_dir)
    store = await Store.open(settings.db_path)
    await seed(store, gazetteer, settings.data_dir)
    await _check_stored_links(store)
    return Registry(store, gazetteer, review_months=settings.review_months)


async def _check_stored_links(store: Store) -> None:
    """Say loudly if a stored URL is not what today's link rules make of it (a registry written by an older
    version, or edited by hand): an admin should look at it. Nothing is changed without an admin."""
    for channel in await store.all_channels():
        try:
            canonical = parse_link(channel.url).url
        except LinkError as exc:
            log.warning("channel %s (%s) fails the link rules (%s): review it with /editchannel or /retirechannel",
                        channel.id, channel.url, exc.code)
            continue
        if canonical != channel.url:
            log.warning("channel %s is stored as %s, which the link rules now write %s", channel.id, channel.url,
                        canonical)
