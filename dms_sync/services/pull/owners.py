"""Which customer a vehicle or repair-order row belongs to: the customer with the row's DMS number."""

from __future__ import annotations

from ...adapters import SourceRow
from .counts import RunContext
from .db_tuning import customers_by_number


def owners_by_number(ctx: RunContext, rows: list[SourceRow]) -> dict[str, tuple[int, bool]]:
    """DMS number -> (customer id, existed before this run), for the rows' customers on file."""
    numbers = {r.value("customer_number") for r in rows} - {""}
    return {number: (pk, pk <= ctx.max_id_before) for number, pk in customers_by_number(ctx.store.pk, numbers, ["id"])}


def owner_or_quarantine(ctx: RunContext, owners: dict, row: SourceRow) -> tuple[int, bool] | None:
    """The (id, existed before this run) of a row's customer; a row whose customer is not on file is
    quarantined instead and None is returned."""
    number = row.value("customer_number")
    if number not in owners:
        reason = "customer_number is empty" if not number else f"customer {number} is not on file"
        ctx.quarantine(row, reason + " (its customer row is missing or was quarantined)")
        return None
    return owners[number]
