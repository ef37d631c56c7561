"""The profile's pure display rules (no queries): unit-tested at their boundaries in
tests/customers/test_profile_rules.py. Contact rules are not here: they are contacts.rules and
contacts.contactability, shared with Customer Information and Call Select."""

from __future__ import annotations

from datetime import date

from ...models import Customer, Dealership
from .types import SALESPERSON_SOURCES, Salesperson

# On equal dates the reassignment wins (a manager's explicit decision made about the deal), then the sold
# deal, then routine activity. Documented in README "Screens" and tested.
SALESPERSON_TIE_ORDER = ("reassigned", "sold", "activity")


def salesperson_pick(
    *,
    is_prospect: bool,
    sold: tuple[str, date | None] = ("", None),
    reassigned: tuple[str, date | None] = ("", None),
    activity: tuple[str, date | None] = ("", None),
) -> Salesperson | None:
    """The person tied to the most recent of the last sold deal, the reassignment and the last sales activity.

    - Prospects go by the last sales activity only.
    - A candidate without a name is ignored (a date alone identifies nobody).
    - A dated candidate beats an undated one; among undated ones the tie order decides, so a DMS row
      that lost its dates still shows someone rather than no one.
    - Equal dates: reassignment, then sold deal, then activity (SALESPERSON_TIE_ORDER).
    """
    candidates = (
        {"activity": activity} if is_prospect else {"sold": sold, "reassigned": reassigned, "activity": activity}
    )
    best = None
    best_key = None
    for source in SALESPERSON_TIE_ORDER:
        if source not in candidates:
            continue
        name, on = candidates[source]
        name = (name or "").strip()
        if not name:
            continue
        key = (on is not None, on or date.min)
        if best_key is None or key > best_key:  # strict: earlier sources in the tie order keep ties
            best, best_key = Salesperson(name=name, on=on, source=source), key
    return best


def salesperson_for(customer: Customer) -> Salesperson | None:
    return salesperson_pick(
        is_prospect=customer.is_prospect,
        sold=(customer.sold_salesperson, customer.last_sold_date),
        reassigned=(customer.reassigned_salesperson, customer.reassigned_date),
        activity=(customer.activity_salesperson, customer.last_activity_date),
    )


def has_purchase_history(customer: Customer) -> bool:
    """A sold customer (not a prospect, with a sold deal on file) shows salesperson and last contact date."""
    return not customer.is_prospect and (customer.last_sold_date is not None or bool(customer.sold_salesperson))


def sales_visible(dealership: Dealership) -> bool:
    """The Sales (labour) figure and its repair-order breakdown exist for Reynolds stores only."""
    return dealership.is_reynolds


def likely_to_buy_level(*, has_showroom_equity: bool, likely_to_buy: int | None) -> int | None:
    """The thermometer shows only for Showroom/Equity stores and only when a level (1-3) is known."""
    if not has_showroom_equity or likely_to_buy is None:
        return None
    return likely_to_buy if 1 <= likely_to_buy <= 3 else None


def age_in_years(*, born: date | None, today: date) -> int | None:
    if born is None or born > today:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


__all__ = [
    "SALESPERSON_SOURCES",
    "SALESPERSON_TIE_ORDER",
    "Salesperson",
    "age_in_years",
    "has_purchase_history",
    "likely_to_buy_level",
    "sales_visible",
    "salesperson_for",
    "salesperson_pick",
]
