"""dms_sync.unchanged: the one unchanged-row rule (a customer's last row in the extract wins; a row equal to
what is stored is skipped), used by the reading process and the sync alike, and StoredDigests, the compact set of
stored row digests the reading process checks rows against. A wrong answer would skip a changed row (or
re-apply an unchanged one)."""

import hashlib
import random

from hypothesis import given
from hypothesis import strategies as st

from dms_sync.adapters.base import Page, SourceRow
from dms_sync.rows import row_hash
from dms_sync.unchanged import StoredDigests, customer_rows_to_apply, skip_unchanged


def _digests(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [hashlib.blake2b(rng.randbytes(16), digest_size=20).hexdigest() for _ in range(n)]


def test_every_stored_digest_is_found_and_no_other_in_any_order_given():
    stored, others = _digests(5000, 1), _digests(5000, 2)
    for order in (sorted(stored), stored):  # as the database sends them, and unsorted
        digests = StoredDigests(order)
        assert len(digests) == 5000
        assert all(d in digests for d in stored)
        assert not any(d in digests for d in others)


def test_digests_sharing_their_first_half_are_told_apart_by_the_second():
    base = "ab" * 8
    stored = [base + "0" * 24, base + "1" * 24]
    digests = StoredDigests(stored)
    assert stored[0] in digests and stored[1] in digests
    assert base + "2" * 24 not in digests


def test_a_stored_value_that_is_not_a_digest_is_left_out_rather_than_failing_the_run():
    digests = StoredDigests(["", "not-a-digest", "abc", "f" * 40])
    assert len(digests) == 1
    assert "f" * 40 in digests


# --- the one rule, used by the reading process and by the sync ----------------------------------------------------
def _row(number: str, version: int, line: int) -> SourceRow:
    data = {"customer_number": number, "version": str(version)}
    return SourceRow("customers.csv", line, data, "", row_hash(data))


def _pull(extract, stored: dict[str, str], page_size: int, *, reader_skips: bool) -> tuple[dict[str, str], int]:
    """Run `extract` [(number, version)] through the pages as the pull does: the reading process (when
    `reader_skips`) against the digests stored when the run starts, then the sync against the digests stored
    now. Returns the stored digests afterwards and how many rows were applied."""
    rows = [_row(number, version, line) for line, (number, version) in enumerate(extract, start=2)]
    pages = (Page(customers=rows[i : i + page_size]) for i in range(0, len(rows), page_size))
    if reader_skips:
        pages = skip_unchanged(pages, StoredDigests(stored.values()))
    stored = dict(stored)
    applied = reached = 0
    for page in pages:
        reached += len(page.customers) + len(page.unchanged_customers)
        numbered = [(r.value("customer_number"), r, r.digest) for r in page.customers]
        to_apply, _skipped = customer_rows_to_apply(numbered, is_stored=lambda n, d: stored.get(n) == d)
        for number, (_row_applied, digest) in to_apply.items():
            stored[number] = digest
            applied += 1
    assert reached == len(rows)  # every row is counted, applied or not
    return stored, applied


@given(
    extract=st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 2)), max_size=25),
    before=st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 2)),
    page_size=st.integers(1, 8),
    reader_skips=st.booleans(),
)
def test_the_last_row_of_each_customer_wins_whatever_the_pages_and_whoever_skips(
    extract, before, page_size, reader_skips
):
    stored = {number: _row(number, version, 0).digest for number, version in before.items()}
    after, _applied = _pull(extract, stored, page_size, reader_skips=reader_skips)
    expected = dict(stored)
    for number, version in extract:
        expected[number] = _row(number, version, 0).digest
    assert after == expected
    again, applied = _pull(extract, after, page_size, reader_skips=reader_skips)
    assert again == after
    if page_size >= len(extract):
        # Within a page each customer is resolved once, so a re-run applies nothing. Across pages an earlier
        # row is applied before a later page's row replaces it (neither the sync nor the readers look ahead):
        # the result converges, but a re-run writes those rows again.
        assert applied == 0


def test_a_customers_earlier_rows_in_a_page_are_skipped_and_its_last_row_applied_unless_stored():
    rows = [("A", "a1", "d1"), ("B", "b1", "d2"), ("A", "a2", "d3")]
    to_apply, skipped = customer_rows_to_apply(rows, is_stored=lambda number, digest: digest == "d2")
    assert to_apply == {"A": ("a2", "d3")}
    assert skipped == [("A", "a1", "d1"), ("B", "b1", "d2")]
