"""A new file's contact methods: those the coordinator turned off on the New customer screen.

A new file's methods are on without a row (contacts.models.ContactMethod); the ones turned off at creation go
through the one contact-state writer (contacts.services.methods), bulk form, so they get their Turn Off history
rows and their changes land in the file's "Created" history entry rather than entries of their own.
"""

from __future__ import annotations

from customers.audit import Change
from customers.models import ContactMethodKind, HistorySource

from .methods import MethodSwitch, contact_methods_switch_bulk


def contact_methods_new_file(*, customer, off: dict, actor, now) -> list[Change]:
    """Turn off `off` ({method: TurnOffReason}) on `customer`, just created in the caller's transaction; return
    the history changes for its Created entry. The reasons are the store's contact-method reasons (the form
    offers only those); the preferred method is not one of them (the screen refuses that)."""
    switches = []
    for method, reason in off.items():
        if method not in ContactMethodKind.values or reason is None or not reason.applies_to_contact_method:
            raise ValueError(f"Turning {method!r} off needs a contact-method reason.")
        switches.append(MethodSwitch(customer_id=customer.pk, method=method, is_on=False, reason_id=reason.pk))
    if not switches:
        return []
    into: dict[int, list[Change]] = {}
    contact_methods_switch_bulk(switches, actor=actor, source=HistorySource.USER, now=now, changes_into=into)
    return into.get(customer.pk, [])
