"""A store's calling rules as values (contacts.calling_rules): recycle days per contact type and calling hours,
each the store's setting (admin, "Store contact settings") or the default where it set none."""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Dealership

from ..calling_rules import DEFAULT_RECYCLE_DAYS, CallingHours, calling_hours_of
from ..models import ContactSettings, RecycleDays


@dataclass(frozen=True)
class StoreContactRules:
    recycle_days: dict[str, int]
    calling_hours: CallingHours
    time_zone: str


def calling_hours_for(dealership: Dealership, store_settings: ContactSettings | None) -> CallingHours:
    values = {}
    if store_settings is not None:
        values = {
            name: getattr(store_settings, name)
            for name in ("weekday_start", "weekday_end", "weekend_start", "weekend_end")
        }
    return calling_hours_of(country=dealership.country, **values)


def store_settings_of(dealership: Dealership) -> ContactSettings | None:
    """The store's settings row when it has one (loaded with `select_related("contact_settings")` or queried)."""
    try:
        return dealership.contact_settings
    except ContactSettings.DoesNotExist:
        return None


def store_contact_rules(*, dealership: Dealership) -> StoreContactRules:
    """The store's rules (two queries at most: the settings row unless joined, its recycle days)."""
    store_settings = store_settings_of(dealership)
    days = dict(DEFAULT_RECYCLE_DAYS)
    if store_settings is not None:
        days |= dict(RecycleDays.objects.filter(store_settings=store_settings).values_list("contact_type", "days"))
    return StoreContactRules(
        recycle_days=days,
        calling_hours=calling_hours_for(dealership, store_settings),
        time_zone=dealership.time_zone,
    )
