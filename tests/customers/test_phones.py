"""phone_normalize's North American shortcut must give exactly what phonenumbers itself says."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.phones import phone_normalize


def _by_phonenumbers(value: str, region: str) -> str | None:
    """The full parse, as phone_normalize did before the shortcut: E.164, or None when invalid."""
    try:
        parsed = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ours(value: str, region: str) -> str | None:
    try:
        return phone_normalize(value, region=region)
    except ValidationError:
        return None


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
SHAPES = [
    "({a}) {e}-{l}",
    "{a}-{e}-{l}",
    "{a}.{e}.{l}",
    "{a}{e}{l}",
    "+1 {a} {e} {l}",
    "1-{a}-{e}-{l}",
    "1{a}{e}{l}",
    "+1({a}){e}-{l}",
    "  {a} {e} {l}  ",
]


@settings(max_examples=400, deadline=None)
@given(
    area=st.integers(min_value=0, max_value=999),
    exchange=st.integers(min_value=0, max_value=999),
    line=st.integers(min_value=0, max_value=9999),
    shape=st.sampled_from(SHAPES),
    region=st.sampled_from(["US", "CA"]),
)
def test_plain_north_american_numbers_match_the_full_parse(area, exchange, line, shape, region):
    value = shape.format(a=f"{area:03d}", e=f"{exchange:03d}", l=f"{line:04d}")
    assert _ours(value, region) == _by_phonenumbers(value, region)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(734) 305-2957", "+17343052957"),
        ("+1 416 555 0123", "+14165550123"),
        ("(416) 979-2000", "+14169792000"),
        ("734-305-2957 ext 4", "+17343052957"),  # not a plain shape: the full parse (extension dropped)
        ("555-CALL-NOW", None),
        ("(000) 305-2957", None),
    ],
)
def test_known_numbers(value, expected):
    assert _ours(value, "US") == expected
    assert _ours(value, "US") == _by_phonenumbers(value, "US")
