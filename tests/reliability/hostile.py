"""Hostile text shared by the reliability tests: XSS, very long strings, control characters, RTL, emoji."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

MARK = "dm-xss"
XSS = [
    f"<script>alert('{MARK}')</script>",
    f'"><img src=x onerror=alert("{MARK}")>',
    f"'><svg onload=alert('{MARK}')>",
    f"</textarea><script>alert('{MARK}')</script>",
    f"javascript:alert('{MARK}')",
    "{{ request.user.password }}{% debug %}",
    "' OR 1=1 --",
]
CONTROL = ["\x00", "nul\x00inside", "\x1b[31mred\x1b[0m", "\x07\x08\x0b\x0c\x7f", "line\r\nbreak", "\t tab \t"]
RTL_AND_EMOJI = [
    "\u202egpj.exe",
    "abc\u202edef\u202c",
    "\u200b\u200d\ufeff",
    "😀👍🏽🇨🇦",
    "👨‍👩‍👧‍👦",
    "𝕳𝖊𝖑𝖑𝖔",
    "Zoë Ñúñez-Łukasz 李小龍",
]
LONG = ["A" * 10_000, "é" * 3_000, "<script>" * 1_500, "😀" * 2_000]
PIECES = XSS + CONTROL + RTL_AND_EMOJI

# Raw markup that must never reach a page unescaped (every XSS payload above carries one of these).
RAW_MARKERS = ["<script>alert(", "<img src=x onerror", "<svg onload"]

hostile_text = st.one_of(
    st.sampled_from(XSS + CONTROL + RTL_AND_EMOJI + LONG),
    st.lists(st.sampled_from(PIECES), min_size=2, max_size=4).map("".join),
    st.text(max_size=200),
    st.builds(lambda a, b: a + b, st.text(max_size=40), st.sampled_from(XSS)),
)

BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run and in CI; nothing to store between runs
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_escaped(response, where: str) -> None:
    """No 500, and an HTML page never carries raw markup from the hostile input."""
    assert response.status_code < 500, f"{where}: HTTP {response.status_code}"
    if "html" not in response.get("Content-Type", ""):
        return
    body = response.content.decode("utf-8", "replace")
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where}: unescaped {marker!r} in the page"
