"""The customer history: every service that changes a file records it through here.

One entry per save: who (a user, or a label such as "DMS sync" / "import: optouts.csv"), the source, the
action and each field's old -> new value. Bulk writers (the DMS sync, consent expiry) build unsaved entries
with `history_entry` and bulk_create them, so the bulk path records exactly what the single path does.
"""

from django.utils import timezone

from ..models import CustomerHistory, HistorySource


def _as_json(change) -> dict:
    return change.as_json() if hasattr(change, "as_json") else change


def history_entry(
    *,
    customer=None,
    customer_id=None,
    action,
    changes,
    actor=None,
    source=HistorySource.USER,
    actor_label="",
    note="",
    now=None,
) -> CustomerHistory:
    """An unsaved history entry (for bulk_create)."""
    return CustomerHistory(
        customer=customer,
        customer_id=customer_id if customer is None else customer.pk,
        created_at=now or timezone.now(),
        actor=actor,
        source=source,
        actor_label=actor_label[:120],
        action=action,
        changes=[_as_json(c) for c in changes],
        note=note[:500],
    )


def history_record(**kwargs) -> CustomerHistory:
    """Write one history entry in the caller's transaction; see `history_entry` for the arguments."""
    entry = history_entry(**kwargs)
    entry.save()
    return entry
