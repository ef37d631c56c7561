"""dms_sync.unchanged.StoredDigests: the compact set of stored row digests the reading process checks rows
against. A wrong answer would skip a changed row (or re-apply an unchanged one)."""

import hashlib
import random

from dms_sync.unchanged import StoredDigests


def _digests(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [hashlib.blake2b(rng.randbytes(16), digest_size=20).hexdigest() for _ in range(n)]


def test_every_stored_digest_is_found_and_no_other_in_any_order_given():
    stored, others = _digests(5000, 1), _digests(5000, 2)
    for given in (sorted(stored), stored):  # as the database sends them, and unsorted
        digests = StoredDigests(given)
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
