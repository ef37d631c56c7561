"""Contactability: may this store contact this customer by method M (for contact type T, vehicle V) now, and if
not, why. The one answer the profile's indicators, Customer Information and Call Select all show (DESIGN §5).

A pure function over facts the caller loaded (`CustomerFacts`; `contacts.selectors.contactability` loads them
for one customer in a fixed number of queries, the profile builds them from its own query). Call Select states
the same rule in SQL (contacts.selectors.call_select); tests/contacts/test_contactability_agreement.py pins the
two together on generated customers.

The rule, in the order the reasons are reported:
- the customer: inactive; a duplicate child (reached through the parent file);
- the method: turned off (with its reason); no value on file; for email, every address on file is invalid
  (bounce count at the store's limit), opted out, or its consent expired; a phone on the store's do-not-call list;
- for a contact type and vehicle: the vehicle is not owned (sold or traded); the contact type is off for it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.translation import gettext, ngettext

from customers.fields import PHONE_METHOD_FIELDS, field_label, method_fields
from customers.models import ContactMethodKind, VinContactType

from .rules import email_is_invalid

#: Every contact method, in the product's order (taken once: `ContactMethodKind.values` builds a new list each time).
METHODS: tuple[str, ...] = tuple(ContactMethodKind.values)
_METHOD_SET = frozenset(METHODS)
_CONTACT_TYPE_LABELS = dict(VinContactType.choices)


class Blocker(enum.StrEnum):
    INACTIVE = "inactive"
    DUPLICATE_CHILD = "duplicate_child"
    METHOD_OFF = "method_off"
    NO_VALUE = "no_value"
    EMAIL_INVALID = "email_invalid"
    OPTED_OUT = "opted_out"
    CONSENT_EXPIRED = "consent_expired"
    DO_NOT_CALL = "do_not_call"
    NO_VEHICLE = "no_vehicle"
    VEHICLE_NOT_OWNED = "vehicle_not_owned"
    CONTACT_TYPE_OFF = "contact_type_off"


@dataclass(frozen=True)
class EmailFacts:
    """One address of the customer as the store knows it."""

    bounce_count: int = 0
    opted_out: bool = False
    consent_expired: bool = False


@dataclass(frozen=True)
class VehicleFacts:
    id: int
    vin: str
    owns: bool = True
    types_off: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CustomerFacts:
    is_active: bool = True
    is_duplicate_child: bool = False
    #: field key -> stored value, for the fields contact methods reach (phones, emails, address line 1).
    values: Mapping[str, str] = field(default_factory=dict)
    #: method -> the reason's label ("" without one), for the methods that are turned off.
    methods_off: Mapping[str, str] = field(default_factory=dict)
    #: lower-cased address -> its facts; an address missing here has no bounces and no consent record.
    emails: Mapping[str, EmailFacts] = field(default_factory=dict)
    bounce_limit: int = 3
    vehicles: tuple[VehicleFacts, ...] = ()
    #: E.164 numbers on the store's do-not-call list (none until the store keeps one).
    do_not_call: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    blocker: Blocker
    #: What a person reads, in the language active when the answer was made (never stored).
    message: str


@dataclass(frozen=True)
class Answer:
    method: str
    reasons: tuple[Reason, ...] = ()
    #: The value the method would use (a phone, an address) when contactable.
    value: str = ""

    @property
    def ok(self) -> bool:
        return not self.reasons

    @cached_property  # the answer is immutable; screens read these several times per method
    def blockers(self) -> frozenset[Blocker]:
        return frozenset(r.blocker for r in self.reasons)

    @cached_property
    def why(self) -> str:
        return "; ".join(r.message for r in self.reasons)

    def __bool__(self) -> bool:
        return self.ok


def _email_reasons(address: str, facts: CustomerFacts, label: str) -> list[Reason]:
    email = facts.emails.get(address.lower(), EmailFacts())
    reasons = []
    if email_is_invalid(bounce_count=email.bounce_count, bounce_limit=facts.bounce_limit):
        message = ngettext(
            "%(label)s is invalid (%(count)s bounce)", "%(label)s is invalid (%(count)s bounces)", email.bounce_count
        )
        reasons.append(Reason(Blocker.EMAIL_INVALID, message % {"label": label, "count": email.bounce_count}))
    if email.opted_out:
        reasons.append(Reason(Blocker.OPTED_OUT, gettext("%(label)s opted out of email") % {"label": label}))
    elif email.consent_expired:
        reasons.append(Reason(Blocker.CONSENT_EXPIRED, gettext("%(label)s: email consent expired") % {"label": label}))
    return reasons


def method_reasons(facts: CustomerFacts, method: str) -> Answer:
    """Whether the method itself can reach the customer: on, a value on file, and that value usable."""
    if method not in _METHOD_SET:
        raise ValueError(f"{method!r} is not a contact method")
    reasons: list[Reason] = []
    if method in facts.methods_off:
        why = facts.methods_off[method]
        message = gettext("turned off (%(reason)s)") % {"reason": why} if why else gettext("turned off")
        reasons.append(Reason(Blocker.METHOD_OFF, message))
    if method == ContactMethodKind.EMAIL:
        present = [(key, facts.values.get(key, "")) for key in method_fields(method) if facts.values.get(key)]
        if not present:
            return Answer(method, (*reasons, Reason(Blocker.NO_VALUE, gettext("no email on file"))))
        problems: list[Reason] = []
        for key, address in present:
            own = _email_reasons(address, facts, str(field_label(key)))
            if not own:
                return Answer(method, tuple(reasons), value=address)
            problems += own
        return Answer(method, (*reasons, *problems))
    if method == ContactMethodKind.MAIL:
        value = "".join(facts.values.get(key, "") for key in method_fields(method))
        if not value:
            reasons.append(Reason(Blocker.NO_VALUE, gettext("no mailing address on file")))
        return Answer(method, tuple(reasons), value=value if not reasons else "")
    value = facts.values.get(PHONE_METHOD_FIELDS[method], "")
    if not value:
        reasons.append(Reason(Blocker.NO_VALUE, gettext("no number on file")))
    elif value in facts.do_not_call:
        reasons.append(Reason(Blocker.DO_NOT_CALL, gettext("on the store's do-not-call list")))
    return Answer(method, tuple(reasons), value=value if not reasons else "")


def _customer_reasons(facts: CustomerFacts) -> list[Reason]:
    reasons = []
    if not facts.is_active:
        reasons.append(Reason(Blocker.INACTIVE, gettext("the customer is inactive")))
    if facts.is_duplicate_child:
        reasons.append(Reason(Blocker.DUPLICATE_CHILD, gettext("a duplicate file: contact the parent file")))
    return reasons


def _vehicle_reasons(facts: CustomerFacts, contact_type: str, vehicle_id: int | None) -> list[Reason]:
    vehicles = [v for v in facts.vehicles if vehicle_id is None or v.id == vehicle_id]
    if not vehicles:
        return [Reason(Blocker.NO_VEHICLE, gettext("no vehicle on file"))]
    if any(v.owns and contact_type not in v.types_off for v in vehicles):
        return []
    if not any(v.owns for v in vehicles):
        return [Reason(Blocker.VEHICLE_NOT_OWNED, gettext("the vehicle is no longer owned"))]
    label = _CONTACT_TYPE_LABELS.get(contact_type)
    name = str(label).lower() if label is not None else contact_type.replace("_", " ")
    message = gettext("%(contact_type)s is turned off for the vehicle") % {"contact_type": name}
    return [Reason(Blocker.CONTACT_TYPE_OFF, message)]


def contactability(
    facts: CustomerFacts, *, method: str, contact_type: str | None = None, vehicle_id: int | None = None
) -> Answer:
    """May the store contact the customer by `method` (for `contact_type`, on `vehicle_id` or any vehicle) now?"""
    own = method_reasons(facts, method)
    reasons = _customer_reasons(facts) + list(own.reasons)
    if contact_type is not None:
        reasons += _vehicle_reasons(facts, contact_type, vehicle_id)
    return Answer(method, tuple(reasons), value=own.value if not reasons else "")


def contactable_for_type(facts: CustomerFacts, *, contact_type: str) -> bool:
    """Call Select's eligibility: some owned vehicle with the type on, and at least one contactable method."""
    return any(contactability(facts, method=m, contact_type=contact_type).ok for m in METHODS)
