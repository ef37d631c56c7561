"""The Customer Profile read model: everything the profile screen shows, in one SQL query.

`customer_profile_get(user=..., pk=...)` returns a `ProfileData`. Split by responsibility:

- `query`: the one annotated query (and its JSON aggregation helpers); the page has a budget of 10 queries
  including session, auth, the store switcher and the session save, and other panels included in the page
  (e.g. the merge panel) share it;
- `assembly`: builds `ProfileData` from the row (pure), and `customer_profile_get`;
- `states`: contact-method states (with their contactability answer) and the VIN grid, shared with Customer
  Information (customers.selectors.edit);
- `rules`: pure display rules (salesperson, thermometer, age, Sales visibility);
- `types`: the dataclasses the templates read;
- `sales`: the Sales breakdown (repair orders) of Reynolds stores.

Contact rules are contacts.rules and contacts.contactability; the one EmailStatus is contacts.selectors.email.
"""

from contacts.selectors.email import EmailStatus, casl_opted_out, email_status_build

from .assembly import customer_profile_get, profile_build
from .query import PROFILE_QUERY, profile_queryset
from .rules import (
    age_in_years,
    has_purchase_history,
    likely_to_buy_level,
    sales_visible,
    salesperson_for,
    salesperson_pick,
)
from .sales import customer_repair_orders, repair_order_totals
from .types import ContactMethodState, ProfileData, Salesperson, VehicleState, VinContactTypeState

__all__ = [
    "PROFILE_QUERY",
    "ContactMethodState",
    "EmailStatus",
    "ProfileData",
    "Salesperson",
    "VehicleState",
    "VinContactTypeState",
    "age_in_years",
    "casl_opted_out",
    "customer_profile_get",
    "customer_repair_orders",
    "email_status_build",
    "has_purchase_history",
    "likely_to_buy_level",
    "profile_build",
    "profile_queryset",
    "repair_order_totals",
    "sales_visible",
    "salesperson_for",
    "salesperson_pick",
]
