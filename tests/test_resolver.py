"""What people type → which province. Accents, case, spacing, prefixes, nicknames, typos, old names."""

from __future__ import annotations

import unicodedata

import pytest

from bot.places import Gazetteer, Status

FOUND = [
    ("cần thơ", "can_tho"),
    ("Cần Thơ", "can_tho"),
    ("CẦN THƠ", "can_tho"),
    ("can tho", "can_tho"),
    ("cantho", "can_tho"),
    ("  Can   Tho  ", "can_tho"),
    ("can-tho", "can_tho"),
    ("TP Cần Thơ", "can_tho"),
    ("TP. Cần Thơ", "can_tho"),
    ("thành phố Cần Thơ", "can_tho"),
    ("Thanh pho can tho", "can_tho"),
    ("CT", "can_tho"),
    ("ct", "can_tho"),
    ("Hồ Chí Minh", "ho_chi_minh"),
    ("TP.HCM", "ho_chi_minh"),
    ("tp hcm", "ho_chi_minh"),
    ("TPHCM", "ho_chi_minh"),
    ("HCM", "ho_chi_minh"),
    ("Sài Gòn", "ho_chi_minh"),
    ("saigon", "ho_chi_minh"),
    ("Ho Chi Minh City", "ho_chi_minh"),
    ("HN", "ha_noi"),
    ("Hà Nội", "ha_noi"),
    ("hanoi", "ha_noi"),
    ("Huế", "hue"),
    ("Thừa Thiên Huế", "hue"),
    ("Đà Nẵng", "da_nang"),
    ("da nang", "da_nang"),
    ("Đắk Lắk", "dak_lak"),
    ("daklak", "dak_lak"),
    ("Tỉnh Vĩnh Long", "vinh_long"),
    ("Khánh Hoà", "khanh_hoa"),  # old-style tone placement
    ("Khánh Hòa", "khanh_hoa"),
    ("Đồng Tháp", "dong_thap"),
    ("dong thap", "dong_thap"),
    ("Tây Ninh", "tay_ninh"),
    # former provinces resolve to themselves (the reply then names the new unit)
    ("Bến Tre", "old_ben_tre"),
    ("ben tre", "old_ben_tre"),
    ("tỉnh Bến Tre", "old_ben_tre"),
    ("Sóc Trăng", "old_soc_trang"),
    ("soc trang", "old_soc_trang"),
    ("Hậu Giang", "old_hau_giang"),
    ("Bà Rịa - Vũng Tàu", "old_ba_ria_vung_tau"),
    ("BRVT", "old_ba_ria_vung_tau"),
    ("Vũng Tàu", "old_ba_ria_vung_tau"),
    ("Bình Dương", "old_binh_duong"),
    ("Quảng Nam", "old_quang_nam"),
    ("Kon Tum", "old_kon_tum"),
    ("Hòa Bình", "old_hoa_binh"),
    ("Hoà Bình", "old_hoa_binh"),
    ("Yên Bái", "old_yen_bai"),
    ("Bắc Kạn", "old_bac_kan"),
    ("thủ đô Hà Nội", "ha_noi"),
    ("Cần Thơ, Việt Nam", "can_tho"),
    ("ＣＡＮ ＴＨＯ", "can_tho"),  # full-width letters
    ("Cần\u200bThơ", "can_tho"),  # a zero-width space from a copy-paste
    ("Đăk Lăk", "dak_lak"),
    ("Đắc Lắc", "dak_lak"),
    ("Nha Trang", "khanh_hoa"),
    ("Đà Lạt", "lam_dong"),
    ("Quy Nhơn", "old_binh_dinh"),
    ("TT-Huế", "hue"),
    # slugs from deep links and buttons
    ("can_tho", "can_tho"),
    ("old_ben_tre", "old_ben_tre"),
]


@pytest.mark.parametrize(("query", "slug"), FOUND)
def test_spellings_resolve(gazetteer: Gazetteer, query: str, slug: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.FOUND, found
    assert found.place is not None and found.place.slug == slug


@pytest.mark.parametrize(("query", "slug"), [(q, s) for q, s in FOUND if unicodedata.normalize("NFD", q) != q])
def test_decomposed_input_resolves_the_same(gazetteer: Gazetteer, query: str, slug: str) -> None:
    nfd = unicodedata.normalize("NFD", query)
    assert nfd != query
    found = gazetteer.resolve(nfd)
    assert found.place is not None and found.place.slug == slug


def test_former_names_point_at_their_new_unit(gazetteer: Gazetteer) -> None:
    cases = {"Bến Tre": "vinh_long", "Trà Vinh": "vinh_long", "Sóc Trăng": "can_tho", "Hậu Giang": "can_tho",
             "Bình Dương": "ho_chi_minh", "Hà Giang": "tuyen_quang", "Quảng Nam": "da_nang"}
    for query, unit in cases.items():
        place = gazetteer.resolve(query).place
        assert place is not None and place.is_former and gazetteer.unit_of(place).slug == unit
        assert gazetteer.is_renamed(place)
        assert place.merged_on is not None and place.merged_on.isoformat() == "2025-07-01"


def test_a_former_province_that_kept_its_name_resolves_to_the_unit(gazetteer: Gazetteer) -> None:
    for name in ("Cần Thơ", "Tây Ninh", "Đồng Tháp", "Lào Cai", "Bắc Ninh"):
        place = gazetteer.resolve(name).place
        assert place is not None and not place.is_former


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("QN", {"quang_ninh", "quang_ngai", "old_quang_nam"}),
        ("qn", {"quang_ninh", "quang_ngai", "old_quang_nam"}),
        ("DN", {"da_nang", "dong_nai", "old_dak_nong"}),
        ("BT", {"old_ben_tre", "old_binh_thuan"}),
        ("TN", {"tay_ninh", "thai_nguyen"}),
        ("HG", {"old_ha_giang", "old_hau_giang"}),
        ("LC", {"lao_cai", "lai_chau"}),
        ("BD", {"old_binh_duong", "old_binh_dinh"}),
    ],
)
def test_ambiguous_initials_ask_back(gazetteer: Gazetteer, query: str, expected: set[str]) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.CHOICES
    assert {p.slug for p in found.choices} == expected


def test_a_shared_word_asks_back(gazetteer: Gazetteer) -> None:
    found = gazetteer.resolve("Quảng")
    assert found.status is Status.CHOICES
    assert {"quang_ninh", "quang_ngai", "quang_tri"} <= {p.slug for p in found.choices}
    assert gazetteer.resolve("giang").status is Status.CHOICES


@pytest.mark.parametrize(
    ("query", "slug"),
    [("can tha", "can_tho"), ("cann tho", "can_tho"), ("ha noii", "ha_noi"), ("vinh logn", "vinh_long"),
     ("kien gian", "old_kien_giang"), ("thanh hoas", "thanh_hoa"), ("ben tr", "old_ben_tre")],
)
def test_small_typos_are_tolerated(gazetteer: Gazetteer, query: str, slug: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.FOUND and found.place is not None and found.place.slug == slug


@pytest.mark.parametrize("query", ["", "   ", "xyzzy", "!!!", "new york", "a" * 500])
def test_nonsense_is_not_found(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.resolve(query).status is Status.NOT_FOUND


def test_not_found_suggests_near_names(gazetteer: Gazetteer) -> None:
    found = gazetteer.resolve("haiphonxyz")
    assert found.status is Status.NOT_FOUND
    assert any(p.slug == "hai_phong" for p in found.suggestions)


def test_there_are_34_units_and_63_former_provinces(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.units()) == 34
    assert sum(p.is_former for p in gazetteer.places.values()) == 63


# --- issue 11, item 6: a resolver that asks rather than guesses ----------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("long", ["vinh_long", "old_long_an"]),  # not straight to Tây Ninh through Long An
        ("Long", ["vinh_long", "old_long_an"]),
        ("ninh", ["bac_ninh", "ninh_binh", "quang_ninh", "tay_ninh", "old_ninh_thuan"]),  # all five, not two
        ("vinh", ["vinh_long", "old_tra_vinh", "old_vinh_phuc"]),
    ],
)
def test_a_query_matching_several_places_offers_them_all(gazetteer: Gazetteer, query: str,
                                                         expected: list[str]) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.CHOICES, found
    assert [p.slug for p in found.choices] == expected  # units first, then former provinces, Vietnamese order


def test_a_former_province_that_kept_its_name_is_not_offered_twice(gazetteer: Gazetteer) -> None:
    slugs = [p.slug for p in gazetteer.resolve("bac").choices]
    assert "bac_ninh" in slugs and "old_bac_ninh" not in slugs


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("fanpage cần thơ", "can_tho"),
        ("cho tôi kênh của Đồng Tháp", "dong_thap"),
        ("cổng thông tin cần thơ", "can_tho"),
        ("Cổng TTĐT Cần Thơ", "can_tho"),
        ("cổng thông tin điện tử thành phố Cần Thơ", "can_tho"),
        ("Zalo OA Cần Thơ", "can_tho"),
        ("facebook UBND tỉnh Đồng Tháp", "dong_thap"),
        ("ủy ban nhân dân thành phố Hà Nội", "ha_noi"),
        ("xem kênh chính thức của Huế", "hue"),
        ("tìm trang Vĩnh Long", "vinh_long"),
        # a filler word that is part of a name there stays: Sóc Trăng, Nha Trang, Cửa Lò
        ("fanpage sóc trăng", "old_soc_trang"),
        ("kênh Nha Trang", "khanh_hoa"),
        ("cửa lò", "nghe_an"),
        ("Trảng Bàng", "tay_ninh"),  # not Cao Bằng through "bàng"
        ("fanpage Sông Công", "thai_nguyen"),
    ],
)
def test_filler_words_are_dropped_anywhere(gazetteer: Gazetteer, query: str, slug: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.FOUND and found.place is not None, found
    assert found.place.slug == slug


@pytest.mark.parametrize("query", ["help", "HELP", "giúp", "giúp tôi với", "hướng dẫn", "xin chào", "Chào bạn",
                                   "chào", "hi", "Hello", "start", "xin chào!"])
def test_greetings_and_help_words_are_help_requests(gazetteer: Gazetteer, query: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.HELP and not found.suggestions and found.place is None


@pytest.mark.parametrize("query", ["123", "zz", "thủ đô", "asdf", "kênh chính thức", "qwerty", "2026"])
def test_nonsense_gets_no_suggestion(gazetteer: Gazetteer, query: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.NOT_FOUND and found.suggestions == (), found


def test_the_capital_is_still_ha_noi_when_named(gazetteer: Gazetteer) -> None:
    found = gazetteer.resolve("thủ đô hà nội")
    assert found.place is not None and found.place.slug == "ha_noi"


@pytest.mark.parametrize(
    ("query", "unit"),
    [("Hội An", "da_nang"), ("Tam Kỳ", "da_nang"), ("thành phố Tuy Hòa", "dak_lak"), ("Phan Rang", "khanh_hoa"),
     ("Phan Rang - Tháp Chàm", "khanh_hoa"), ("Vĩnh Yên", "phu_tho"), ("Bảo Lộc", "lam_dong"),
     ("Rạch Giá", "an_giang"), ("Cà Mau", "ca_mau"), ("Pleiku", "gia_lai"), ("Đồng Hới", "quang_tri"),
     ("Phủ Lý", "ninh_binh"), ("Tân An", "tay_ninh"), ("Vị Thanh", "can_tho"), ("Đồng Xoài", "dong_nai")],
)
def test_well_known_cities_go_where_the_2025_mergers_put_them(gazetteer: Gazetteer, query: str, unit: str) -> None:
    found = gazetteer.resolve(query)
    assert found.status is Status.FOUND and found.place is not None, found
    assert gazetteer.unit_of(found.place).slug == unit


def test_city_aliases_agree_with_the_merger_table(gazetteer: Gazetteer) -> None:
    """Every alias names a real place (load_gazetteer checks) and Hội An's former province is Quảng Nam."""
    place = gazetteer.resolve("Hội An").place
    assert place is not None and place.slug == "old_quang_nam" and gazetteer.is_renamed(place)


def test_units_are_in_vietnamese_alphabetical_order(gazetteer: Gazetteer) -> None:
    names = [p.name for p in gazetteer.units()]
    assert names.index("Cà Mau") < names.index("Cao Bằng") < names.index("Cần Thơ")  # a < ă < â, then tones
    assert names.index("Cần Thơ") < names.index("Đà Nẵng") < names.index("Điện Biên") < names.index("Gia Lai")
    assert names.index("Lạng Sơn") < names.index("Lào Cai") < names.index("Lâm Đồng")
    assert names.index("Hồ Chí Minh") < names.index("Huế") < names.index("Hưng Yên")
    assert names[0] == "An Giang" and names[-1] == "Vĩnh Long"


def test_members_are_in_vietnamese_order(gazetteer: Gazetteer) -> None:
    names = [p.name for p in gazetteer.members(gazetteer.places["can_tho"])]
    assert names == ["Cần Thơ", "Hậu Giang", "Sóc Trăng"]
    names = [p.name for p in gazetteer.members(gazetteer.places["ca_mau"])]
    assert names == ["Bạc Liêu", "Cà Mau"]


def test_vi_sort_key_orders_letters_then_tones() -> None:
    from bot.text import vi_sort_key

    words = ["ạ", "a", "á", "à", "ã", "ả", "ă", "â", "b", "đ", "d", "ơ", "ô", "o", "ư", "u", "y"]
    assert sorted(words, key=vi_sort_key) == ["a", "à", "ả", "ã", "á", "ạ", "ă", "â", "b", "d", "đ", "o", "ô",
                                              "ơ", "u", "ư", "y"]
    assert sorted(["Cần Thơ", "Cao Bằng"], key=vi_sort_key) == ["Cao Bằng", "Cần Thơ"]
    assert vi_sort_key(unicodedata.normalize("NFD", "Đồng Tháp"))[:2] == vi_sort_key("Đồng Tháp")[:2]


@pytest.mark.parametrize("prefix", ["", "fanpage ", "cho tôi kênh của ", "cổng thông tin điện tử ", "trang "])
def test_every_name_still_resolves_with_filler_around_it(gazetteer: Gazetteer, prefix: str) -> None:
    """No filler word eats part of a real name ("Sóc Trăng", "Nha Trang"): all 97 names, bare and with filler."""
    for place in gazetteer.places.values():
        expected = gazetteer.unit_of(place) if not gazetteer.is_renamed(place) and place.is_former else place
        found = gazetteer.resolve(prefix + place.name)
        assert found.status is Status.FOUND and found.place is not None, (prefix, place.name, found)
        assert found.place.slug == expected.slug, (prefix, place.name)
