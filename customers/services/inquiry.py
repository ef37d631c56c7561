"""INQ: a customer was looked up (opened from a search) by a user."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Inquiry

# Opening the same file again within this window (a double click, a back-and-forth) is one inquiry.
REPEAT_WINDOW = timedelta(minutes=1)


@transaction.atomic
def inquiry_record(*, customer, actor) -> Inquiry:
    """Record that `actor` opened `customer` from a search; returns the (possibly just-made) inquiry."""
    now = timezone.now()
    recent = (
        Inquiry.objects.filter(customer=customer, user=actor, created_at__gte=now - REPEAT_WINDOW)
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        return recent
    return Inquiry.objects.create(customer=customer, user=actor, created_at=now)
