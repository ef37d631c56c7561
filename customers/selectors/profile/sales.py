"""The profile's Sales breakdown (Reynolds stores): the customer's repair orders and their totals."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum

from ...models import Customer, RepairOrder


def customer_repair_orders(*, customer: Customer) -> QuerySet[RepairOrder]:
    """The customer's repair orders in their own store, newest first (the tenant check is the customer fetch)."""
    return (
        RepairOrder.objects.filter(customer=customer, dealership_id=customer.dealership_id)
        .annotate(total_sale=F("labour_sale") + F("parts_sale"))
        .order_by(F("closed_date").desc(nulls_last=True), "-ro_number", "-pk")
    )


def repair_order_totals(*, customer: Customer) -> dict:
    totals = customer_repair_orders(customer=customer).aggregate(
        count=Count("pk"), labour=Sum("labour_sale"), parts=Sum("parts_sale")
    )
    labour = totals["labour"] or Decimal("0")
    parts = totals["parts"] or Decimal("0")
    return {"count": totals["count"], "labour": labour, "parts": parts, "total": labour + parts}
