"""The QR card: decodes to exactly the channel URLs, also after Telegram's JPEG re-encoding; draws Vietnamese."""

from __future__ import annotations

import io
import unicodedata

from PIL import Image

from bot.cards import CardCache, CardEntry, CardSpec, render_card
from bot.services import Registry
from tests.conftest import decode_qr

CAN_THO_URLS = ["https://www.facebook.com/congthongtincantho", "https://zalo.me/3460461954401350861"]


async def test_can_tho_card_decodes_to_its_urls_even_after_telegram_recompresses_it(registry: Registry) -> None:
    view = await registry.unit_view(registry.places.places["can_tho"])
    png = registry.card_png(view)
    assert decode_qr(png) == sorted(CAN_THO_URLS)
    assert decode_qr(png, as_telegram=True) == sorted(CAN_THO_URLS)
    assert max(Image.open(io.BytesIO(png)).size) <= 1280


def test_many_channels_and_long_urls_still_scan_after_downscaling() -> None:
    urls = [f"https://www.facebook.com/profile.php?id={10**15 + i}" for i in range(5)] + [
        "https://www.vinhlong.gov.vn/portal/page/portal/trang-chu/tin-tuc/thong-bao-chinh-thuc-ve-kenh"]
    spec = CardSpec("Tỉnh Vĩnh Long", "sub", tuple(CardEntry("Facebook", f"Trang {i}", u) for i, u in
                                                     enumerate(urls)), ("footer",))
    png = render_card(spec)
    assert max(Image.open(io.BytesIO(png)).size) > 1280  # tall: Telegram will shrink it
    assert decode_qr(png, as_telegram=True) == sorted(urls)


def test_rendering_is_deterministic_and_cached_by_content() -> None:
    spec = CardSpec("Thành phố Cần Thơ", "x", (CardEntry("Zalo OA", "Cổng TTĐT Cần Thơ", CAN_THO_URLS[1]),), ("f",))
    assert render_card(spec) == render_card(spec)
    cache = CardCache()
    key1, png1 = cache.get(spec)
    key2, png2 = cache.get(CardSpec(spec.title, spec.subtitle, spec.entries, spec.footer))
    assert (key1, png1) == (key2, png2) and cache.renders == 1
    changed = CardSpec(spec.title, spec.subtitle, spec.entries, ("other footer",))
    assert cache.get(changed)[0] != key1 and cache.renders == 2


def test_vietnamese_is_drawn_with_its_marks_and_normalised() -> None:
    def card(title: str) -> bytes:
        return render_card(CardSpec(title, "", (), ()))

    accented, plain = card("Cần Thơ Đắk Lắk Huế"), card("Can Tho Dak Lak Hue")
    assert accented != plain  # the marks are drawn (Pillow's default font would draw none, or boxes)
    nfd = unicodedata.normalize("NFD", "Cần Thơ Đắk Lắk Huế")
    assert card(nfd) == accented  # decomposed input draws exactly like composed


def test_the_title_has_ink_above_the_letters_where_vietnamese_marks_go() -> None:
    def top_ink_row(title: str) -> int:
        img = Image.open(io.BytesIO(render_card(CardSpec(title, "", (), ())))).convert("L")
        ink = img.point(lambda v: 255 if v < 128 else 0).getbbox()
        return ink[1] if ink else img.height

    assert top_ink_row("Ễ") < top_ink_row("E")  # the circumflex and tilde sit above the capital
