"""Contact-method states and the VIN contact-type grid, built once for the profile and Customer Information.

Both screens feed these builders with rows they loaded the same way (the JSON arrays of each screen's one customer
query: customers.selectors.profile.query, customers.selectors.edit_query), so a method or a VIN contact type reads
the same on both.
The answer beside each method is contacts.contactability applied to `CustomerFacts` built here from those
already-loaded rows (no query of its own): the check, the "no number on file", the red X with its reason and the
preferred star all come from it, as on Call Select.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext, pgettext_lazy

from contacts.contactability import CustomerFacts, VehicleFacts, contactability
from contacts.selectors.contactability import REACHABLE_FIELDS
from contacts.selectors.email import EmailStatus, email_facts_of

from ...fields import method_fields, value_display
from ...models import ContactMethodKind, Customer, Vehicle, VinContactType
from .types import ContactMethodState, VehicleState, VinContactTypeState

# --- contact methods -------------------------------------------------------------------------------------------

#: (method, label) in the product's order, taken once (`Choices.choices` builds a new list on every access).
METHOD_CHOICES: tuple[tuple[str, str], ...] = tuple(ContactMethodKind.choices)


@dataclass(frozen=True)
class MethodRow:
    """A stored contact-method row (no row = on)."""

    method: str
    is_on: bool
    reason: str = ""  # the turn-off reason's label
    changed_at: datetime | None = None
    changed_by: str = ""


def methods_off_of(rows: Iterable[MethodRow]) -> dict[str, str]:
    """`CustomerFacts.methods_off`: method -> reason label, for the methods turned off."""
    return {r.method: r.reason or "" for r in rows if not r.is_on}


def contact_facts_build(
    *,
    customer: Customer,
    methods_off: Mapping[str, str],
    emails: Sequence[EmailStatus],
    vehicles: Sequence[VehicleState] = (),
    do_not_call: frozenset[str] = frozenset(),
) -> CustomerFacts:
    """The contactability facts of a customer out of what a screen already loaded.

    `methods_off` are the methods the screen shows (a duplicate child shows its parent's); `emails` the statuses
    of the addresses on file; `do_not_call` the customer's numbers on the store's do-not-call list;
    `customer.dealership` must be loaded (the bounce limit is read there)."""
    return CustomerFacts(
        is_active=customer.is_active,
        is_duplicate_child=customer.is_duplicate_child,
        values={key: getattr(customer, key) or "" for key in REACHABLE_FIELDS},
        methods_off=dict(methods_off),
        emails=email_facts_of(list(emails)),
        bounce_limit=customer.dealership.email_bounce_limit,
        vehicles=tuple(
            VehicleFacts(
                id=v.vehicle.pk,
                vin=v.vehicle.vin,
                owns=v.vehicle.owns,
                types_off=frozenset(t.code for t in v.off_types if t.code != OWNS),
            )
            for v in vehicles
        ),
        do_not_call=frozenset(do_not_call),
    )


def method_value_display(customer: Customer, method: str, used: str = "") -> str:
    """What the method reaches, as shown: the address block's first line and town, a formatted phone, an email
    (the one the method would use when several are on file)."""
    if method == ContactMethodKind.MAIL:
        return ", ".join(p for p in (customer.address1, customer.city, customer.state) if p)
    present = [(key, getattr(customer, key) or "") for key in method_fields(method)]
    present = [(key, raw) for key, raw in present if raw]
    key, raw = next(((k, r) for k, r in present if r == used), present[0] if present else ("", ""))
    return value_display(key, raw) if key else ""


def contact_method_states_build(
    *, customer: Customer, rows: Iterable[MethodRow], preferred: str, facts: CustomerFacts
) -> list[ContactMethodState]:
    """Every contact method in the product's order, with its stored state and its contactability answer."""
    by_kind = {r.method: r for r in rows}
    states = []
    for kind, label in METHOD_CHOICES:
        row = by_kind.get(kind) or MethodRow(method=kind, is_on=True)
        answer = contactability(facts, method=kind)
        states.append(
            ContactMethodState(
                kind=kind,
                label=label,
                is_on=row.is_on,
                is_preferred=kind == preferred,
                value=method_value_display(customer, kind, answer.value),
                answer=answer,
                reason="" if row.is_on else row.reason,
                changed_at=row.changed_at,
                changed_by=row.changed_by,
            )
        )
    return states


def preferred_note(states: Iterable[ContactMethodState]) -> str:
    """When the preferred method cannot be used now: which one and why (the star is not shown then)."""
    preferred = next((m for m in states if m.is_preferred), None)
    if preferred is None or preferred.usable:
        return ""
    return gettext("Preferred method %(method)s is not usable: %(why)s.") % {
        "method": preferred.label,
        "why": preferred.why,
    }


# --- VIN contact types -----------------------------------------------------------------------------------------

OWNS, OWNS_LABEL = "owns", pgettext_lazy("vehicle contact type", "Owns")
#: The grid's columns: Owns (the vehicle's own flag), then the VIN contact types.
VIN_TYPES: list[tuple[str, str]] = [(OWNS, OWNS_LABEL), *VinContactType.choices]
#: The VIN contact types alone (code, label), taken once: the grid asks for them per vehicle.
_VIN_TYPE_CHOICES: tuple[tuple[str, str], ...] = tuple(VinContactType.choices)


def vehicle_states_build(
    *, vehicles: Iterable[Vehicle], owns_reasons: Mapping[int, str], type_rows: Iterable[Mapping]
) -> list[VehicleState]:
    """Every vehicle x {Owns, the VIN contact types}: on/off with reason and comment (no row = on).

    `owns_reasons`: vehicle id -> the Owns-off reason's label; `type_rows`: {vehicle, code, is_on, reason,
    comment} per stored VehicleContactType row. Owned vehicles first, newest model year first."""
    types_by_vehicle: dict[int, dict[str, Mapping]] = {}
    for r in type_rows:
        types_by_vehicle.setdefault(r["vehicle"], {})[r["code"]] = r
    states = []
    for vehicle in vehicles:
        rows = types_by_vehicle.get(vehicle.pk, {})
        types = [
            VinContactTypeState(
                code=OWNS,
                label=OWNS_LABEL,
                is_on=vehicle.owns,
                reason="" if vehicle.owns else owns_reasons.get(vehicle.pk) or "",
            )
        ]
        for code, label in _VIN_TYPE_CHOICES:
            row = rows.get(code)
            on = True if row is None else bool(row["is_on"])
            types.append(
                VinContactTypeState(
                    code=code,
                    label=label,
                    is_on=on,
                    reason="" if on else row.get("reason") or "",
                    comment="" if on else row.get("comment") or "",
                )
            )
        states.append(VehicleState(vehicle=vehicle, contact_types=types))
    states.sort(key=lambda s: (not s.vehicle.owns, -(s.vehicle.year or 0), s.vehicle.vin))
    return states
