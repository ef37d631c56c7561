"""Call Select's rows: what the list shows of each customer its query returned (no queries here).

The best phone (the preferred method first when it is a usable phone, then cell, home, work), why the customer is
due (last RO, the last contact for the contact type and its result, the recycle or the call back that made them
due again), and their local time with the calling-hours flag (contacts.calling_rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property

from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from customers.fields import PHONE_METHOD_FIELDS, method_fields
from customers.models import ContactMethodKind, Customer, Vehicle, VinContactType

from ..calling_rules import LocalTime
from ..models import ContactResult

#: The order the best phone is picked in after the preferred method (a cell reaches the person).
BEST_PHONE_ORDER = (ContactMethodKind.CELL_PHONE, ContactMethodKind.HOME_PHONE, ContactMethodKind.WORK_PHONE)
#: Phone method -> the customer field it dials, from the registry, in BEST_PHONE_ORDER.
PHONE_FIELDS = dict(sorted(PHONE_METHOD_FIELDS.items(), key=lambda item: BEST_PHONE_ORDER.index(item[0])))
_RESULT_LABELS = dict(ContactResult.choices)


def day_label(day: date) -> str:
    """Mar 5, 2026 (the active language's DATE_FORMAT, dealermine/formats: "5 mars 2026" in French)."""
    return date_format(day, "DATE_FORMAT")


def usable(field: str) -> str:
    """The name of the annotation saying whether the method reaching `field` is usable."""
    return f"{field}_usable"


@dataclass(frozen=True)
class CallSelectRow:
    customer: Customer
    vehicle: Vehicle | None
    phone_method: str  # ContactMethodKind value of the best phone, "" when no phone is usable
    phone: str  # E.164
    phone_ext: str
    email: str  # a usable address when no phone is
    is_preferred: bool  # the best phone is the preferred method of contact
    contact_type: str = ""
    last_ro_date: date | None = None
    #: The customer's latest contact for the contact type (None: never contacted for it).
    last_contact_at: datetime | None = None
    last_contact_result: str = ""
    #: A call back asked for: the date it is due (the customer is at the top of the list on and after it).
    call_back_on: date | None = None
    #: When the last contact's recycle ended (last contact + the store's recycle days for the type).
    recycled_on: date | None = None
    local_time: LocalTime | None = None

    @property
    def phone_label(self) -> str:
        return str(ContactMethodKind(self.phone_method).label) if self.phone_method else ""

    @property
    def last_contact_result_label(self) -> str:
        return str(_RESULT_LABELS.get(self.last_contact_result, ""))

    @property
    def is_call_back(self) -> bool:
        return self.call_back_on is not None

    @cached_property
    def due_reason(self) -> str:
        """Why the customer is on today's list, in one line (the list, its CSV and its print)."""
        if self.is_call_back:
            return gettext("Call back due %(day)s") % {"day": day_label(self.call_back_on)}
        if self.last_contact_at is None:
            type_label = VinContactType(self.contact_type).label if self.contact_type else gettext("this type")
            return gettext("Not contacted for %(contact_type)s yet") % {"contact_type": type_label}
        if self.recycled_on is not None:
            return gettext("Recycled %(day)s") % {"day": day_label(self.recycled_on)}
        return pgettext("call select row", "Due")


def best_phone(customer) -> tuple[str, str]:
    """Preferred method first (when it is a usable phone), then cell, home, work."""
    order = list(PHONE_FIELDS)
    preferred = customer.preferred_contact_method
    if preferred in PHONE_FIELDS:
        order.remove(preferred)
        order.insert(0, preferred)
    for method in order:
        field = PHONE_FIELDS[method]
        if getattr(customer, usable(field)):
            return method, getattr(customer, field)
    return "", ""


def row_build(
    customer, *, vehicle, contact_type: str, recycle_days: int, store_zone: tzinfo, local_time: LocalTime | None
) -> CallSelectRow:
    """One row out of a customer the list query annotated (see contacts.selectors.call_select)."""
    method, phone = best_phone(customer)
    email = ""
    if not method:
        email = next(
            (getattr(customer, f) for f in method_fields(ContactMethodKind.EMAIL) if getattr(customer, usable(f))), ""
        )
    last_at = customer.cs_last_contact_at
    result = customer.cs_last_result or ""
    call_back_on = customer.cs_call_back_on if result == ContactResult.CALL_BACK else None
    recycled_on = None
    if last_at is not None and call_back_on is None:
        recycled_on = (last_at + timedelta(days=recycle_days)).astimezone(store_zone).date()
    return CallSelectRow(
        customer=customer,
        vehicle=vehicle,
        phone_method=method,
        phone=phone,
        phone_ext=customer.work_ext if method == ContactMethodKind.WORK_PHONE else "",
        email=email,
        is_preferred=bool(method) and method == customer.preferred_contact_method,
        contact_type=contact_type,
        last_ro_date=customer.last_ro_date,
        last_contact_at=last_at,
        last_contact_result=result,
        call_back_on=call_back_on,
        recycled_on=recycled_on,
        local_time=local_time,
    )
