"""Notice ingestion: an official notice (text, Markdown, PDF, .docx) read into a draft registry entry."""

from __future__ import annotations

from bot.ingest.draft import Draft, DraftChannel, ManagingUnitDraft, PlaceRef, RefusedLink
from bot.ingest.extract import FORMATS, MAX_BYTES, UnreadableFile, extract_text
from bot.ingest.reader import read_notice
from bot.places import Gazetteer


def read_file(name: str, content: bytes, places: Gazetteer) -> Draft:
    """A notice file's draft; UnreadableFile when the file has no text to read."""
    return read_notice(extract_text(name, content), places)


__all__ = ["FORMATS", "MAX_BYTES", "Draft", "DraftChannel", "ManagingUnitDraft", "PlaceRef", "RefusedLink",
           "UnreadableFile", "extract_text", "read_file", "read_notice"]
