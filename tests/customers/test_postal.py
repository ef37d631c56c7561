"""Postal normalization and the offline lookup; property tests for the phone and postal normalizers."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.phones import phone_normalize
from customers.postal import postal_guess_country, postal_lookup, postal_normalize


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("m5v-3l9", "CA", "M5V 3L9"),
        ("M5V3L9", "CA", "M5V 3L9"),
        ("  m5v 3l9 ", None, "M5V 3L9"),
        ("48226", "US", "48226"),
        ("48226-1234", "US", "48226-1234"),
        ("482261234", None, "48226-1234"),
        ("48226 1234", "US", "48226-1234"),
        ("", "CA", ""),
        ("   ", None, ""),
    ],
)
def test_postal_normalize(raw, country, expected):
    assert postal_normalize(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("M5V 3L", "CA"),
        ("D5V 3L9", "CA"),  # D never starts a Canadian code
        ("W5V 3L9", "CA"),
        ("48226", "CA"),
        ("4822", "US"),
        ("M5V 3L9", "US"),
        ("hello", None),
        ("١٢٣٤٥", None),  # Arabic-Indic digits are not a ZIP code
    ],
)
def test_postal_normalize_rejects_with_validation_error(raw, country):
    with pytest.raises(ValidationError):
        postal_normalize(raw, country)


def test_country_is_guessed_from_the_shape():
    assert postal_guess_country("k1a0b1") == "CA"
    assert postal_guess_country("90210-0001") == "US"
    assert postal_guess_country("SW1A 1AA") == ""


def test_canadian_lookup_fills_city_and_province_with_blank_county():
    assert postal_lookup("m5v-3l9", "CA") == {
        "postal_code": "M5V 3L9",
        "city": "Toronto",
        "state": "ON",
        "county": "",
        "country": "CA",
    }


def test_rural_fsa_gives_the_province_only():
    result = postal_lookup("K0A 0A1", "CA")
    assert result == {"postal_code": "K0A 0A1", "city": "", "state": "ON", "county": "", "country": "CA"}
    assert postal_lookup("T0A0A0", None)["state"] == "AB"


def test_us_lookup_and_zip_plus_four_uses_the_first_five_digits():
    assert postal_lookup("48226", "US") == {
        "postal_code": "48226",
        "city": "Detroit",
        "state": "MI",
        "county": "Wayne County",
        "country": "US",
    }
    assert postal_lookup("48226-0001", "US")["city"] == "Detroit"


def test_the_shape_wins_over_a_wrong_country():
    assert postal_lookup("M5V 3L9", "US")["country"] == "CA"


@pytest.mark.parametrize("code", ["00000", "M5V 9Z9", "X9X 9X9", "garbage", ""])
def test_unknown_or_invalid_codes_give_none(code):
    assert postal_lookup(code, None) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from([None, "", "US", "CA", "MX"]))
def test_postal_normalize_is_idempotent_and_only_raises_validation_error(text, country):
    try:
        once = postal_normalize(text, country)
    except ValidationError:
        return
    assert postal_normalize(once, country) == once
    assert postal_normalize(once, None) == once if once else True


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z][0-9][A-Za-z][ -]?[0-9][A-Za-z][0-9]", fullmatch=True))
def test_canadian_shaped_codes_normalize_idempotently(text):
    try:
        once = postal_normalize(text, "CA")
    except ValidationError:
        return
    assert len(once) == 7 and once[3] == " "
    assert postal_normalize(once, "CA") == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_postal_lookup_never_raises(text):
    result = postal_lookup(text, None)
    assert result is None or set(result) == {"postal_code", "city", "state", "county", "country"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=50), st.sampled_from(["US", "CA"]))
def test_phone_normalize_is_idempotent_and_only_raises_validation_error(text, region):
    try:
        once = phone_normalize(text, region=region)
    except ValidationError:
        return
    assert phone_normalize(once, region=region) == once


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\(?[2-9][0-9]{2}\)?[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}", fullmatch=True))
def test_phone_shaped_input_normalizes_to_stable_e164(text):
    try:
        once = phone_normalize(text, region="CA")
    except ValidationError:
        return
    assert once.startswith("+1") and len(once) == 12
    assert phone_normalize(once, region="US") == once
