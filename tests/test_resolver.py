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
