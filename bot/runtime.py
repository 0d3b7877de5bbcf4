"""Opening the registry: the store, the places, the seed. Shared by every front-end and CLI command."""

from __future__ import annotations

from bot.config import Settings
from bot.places import load_gazetteer
from bot.seed import seed
from bot.services import Registry
from bot.store import Store


async def open_registry(settings: Settings) -> Registry:
    gazetteer = load_gazetteer(settings.data_dir)
    store = await Store.open(settings.db_path)
    await seed(store, gazetteer, settings.data_dir)
    return Registry(store, gazetteer)
