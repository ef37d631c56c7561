"""Logging a contact, and what its result sets in motion (DESIGN §4 "Contact log", §5 "Contact history").

`contact_log_record` is the one writer of the contact history (contacts.models.ContactLog) and of each customer's
latest contact per contact type (`LastContact`, what Call Select's recycle and call-back rules read), in one
transaction on the locked customer row. The results with consequences:

- do not call: the number joins the store's do-not-call list (contacts.services.do_not_call, with who, when and
  why) and the customer's phone methods that carry it are turned off with the do-not-call reason through the one
  contact-state writer (a method already off keeps its own reason);
- wrong number: nothing is removed here; the result names the field holding the number (`remove_field`) and the
  screen offers the remove (X) flow for it, whose confirm step belongs to the DMS integration
  (dms_sync.services.removal);
- call back on a date: the customer comes back on Call Select for that contact type on that date, at the top,
  whatever the recycle days say (contacts.selectors.call_select);
- every result for a contact type starts that type's recycle for the customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.fields import PHONE_FIELDS, PHONE_METHOD_FIELDS, field_label
from customers.models import Customer, HistorySource, VinContactType
from customers.phones import phone_display

from ..models import (
    ContactChannel,
    ContactLog,
    ContactMethod,
    ContactResult,
    DoNotCallNumber,
    DoNotCallSource,
    LastContact,
)
from .do_not_call import do_not_call_add, do_not_call_reason_get
from .methods import contact_method_switch

#: How far ahead a call back may be asked for.
MAX_CALL_BACK_AHEAD = timedelta(days=366)
MAX_NOTE = 1000
#: The results that are about a number: the form asks which one.
NUMBER_RESULTS = frozenset({ContactResult.WRONG_NUMBER, ContactResult.DO_NOT_CALL})


@dataclass
class ContactLogged:
    log: ContactLog
    #: "do not call": the store's list entry (an existing one when the number was already listed).
    do_not_call: DoNotCallNumber | None = None
    #: "do not call": the phone methods turned off now.
    methods_turned_off: list[str] = field(default_factory=list)
    #: "wrong number": the field holding the number, for the remove (X) flow the screen offers.
    remove_field: str = ""


def store_today(dealership, *, now) -> date:
    """The date at the store (call-back dates are store dates)."""
    return now.astimezone(ZoneInfo(dealership.time_zone)).date()


def phone_fields_holding(customer, number: str) -> list[str]:
    """The customer's phone fields (registry order) whose value is `number`."""
    return [key for key in PHONE_FIELDS if number and getattr(customer, key) == number]


def phone_choices(customer) -> list[tuple[str, str]]:
    """(E.164, "Cell (313) 555-0101") for each distinct number of the customer's phone methods (the numbers a
    contact can be about)."""
    choices: dict[str, str] = {}
    for key in PHONE_METHOD_FIELDS.values():
        number = getattr(customer, key)
        if number and number not in choices:
            choices[number] = f"{str(field_label(key))} {phone_display(number)}"
    return list(choices.items())


def _check(
    *, customer, channel, result, contact_type, vehicle, phone, call_back_on, note, today
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if channel not in ContactChannel.values:
        add("channel", gettext("Choose how the contact was made."))
    if result not in ContactResult.values:
        add("result", gettext("Choose the result."))
    if contact_type and contact_type not in VinContactType.values:
        add("contact_type", gettext("Choose a contact type."))
    if vehicle is not None and vehicle.customer_id != customer.pk:
        add("vehicle", gettext("That vehicle is not on this customer's file."))
    numbers = dict(phone_choices(customer))
    if phone and phone not in numbers:
        add("phone", gettext("That number is no longer on the file (it changed meanwhile): choose the number again."))
    if result in NUMBER_RESULTS and not phone:
        if numbers:
            label = ContactResult(result).label
            add("phone", gettext("Choose the number the result '%(result)s' is about.") % {"result": label})
        else:
            add("phone", gettext("No number on file."))
    if result == ContactResult.CALL_BACK:
        if call_back_on is None:
            add("call_back_on", gettext("Enter the date to call back."))
        elif call_back_on < today:
            add("call_back_on", gettext("The call-back date is in the past."))
        elif call_back_on > today + MAX_CALL_BACK_AHEAD:
            add("call_back_on", gettext("Choose a call-back date within a year."))
        if not contact_type:
            add(
                "contact_type",
                gettext("Choose the contact type to call back for (Call Select lists the customer for it)."),
            )
    elif call_back_on is not None:
        add(
            "call_back_on",
            gettext("A call-back date goes with the result '%(result)s'.") % {"result": ContactResult.CALL_BACK.label},
        )
    if len(note) > MAX_NOTE:
        add("note", gettext("Keep the note under %(max)s characters.") % {"max": MAX_NOTE})
    return errors


def _last_contact_keep(log: ContactLog) -> None:
    """The customer's latest contact for the log's type becomes this one, unless a later one is already kept."""
    if not log.contact_type:
        return
    state = LastContact.objects.filter(customer_id=log.customer_id, contact_type=log.contact_type).first()
    if state is not None and state.contacted_at > log.contacted_at:
        return
    values = {
        "contact_log": log,
        "contacted_at": log.contacted_at,
        "result": log.result,
        "call_back_on": log.call_back_on,
    }
    if state is None:
        LastContact.objects.create(customer_id=log.customer_id, contact_type=log.contact_type, **values)
    else:
        for name, value in values.items():
            setattr(state, name, value)
        state.save(update_fields=list(values))


def _do_not_call(*, customer, log, actor, actor_label, now) -> tuple[DoNotCallNumber, list[str]]:
    why = f"{customer.display_name or 'The customer'} asked not to be called"
    if log.note:
        why += f": {log.note}"
    entry, _ = do_not_call_add(
        dealership=customer.dealership,
        number=log.phone,
        reason=why,
        source=DoNotCallSource.CONTACT_LOG,
        actor=actor,
        customer=customer,
        contact_log=log,
        now=now,
    )
    already_off = set(ContactMethod.objects.filter(customer=customer, is_on=False).values_list("method", flat=True))
    carrying = [m for m, key in PHONE_METHOD_FIELDS.items() if getattr(customer, key) == log.phone]
    reason = do_not_call_reason_get(dealership=customer.dealership) if set(carrying) - already_off else None
    turned_off = []
    for method in carrying:
        if method in already_off:
            continue
        contact_method_switch(
            customer=customer,
            method=method,
            is_on=False,
            reason=reason,
            actor=actor,
            actor_label=actor_label,
            source=HistorySource.USER if actor is not None else HistorySource.SYSTEM,
            comment=f"Do not call {phone_display(log.phone)} (contact history)",
            now=now,
        )
        turned_off.append(method)
    return entry, turned_off


@transaction.atomic
def contact_log_record(
    *,
    customer,
    channel: str,
    result: str,
    contact_type: str = "",
    vehicle=None,
    phone: str = "",
    call_back_on: date | None = None,
    note: str = "",
    actor=None,
    actor_label: str = "",
    now=None,
) -> ContactLogged:
    """Log one contact with `customer` and apply its result's consequences (module docstring).

    `phone` (E.164) is one of the customer's phone-method numbers, as the form offered them: a number changed
    meanwhile is refused rather than listed or removed. Raises ValidationError ({field: [messages]}) and writes
    nothing when the contact cannot be logged. The caller's `customer` is updated with what was saved."""
    now = now or timezone.now()
    note = (note or "").strip()
    current = Customer.objects.select_for_update(of=("self",)).select_related("dealership").get(pk=customer.pk)
    errors = _check(
        customer=current,
        channel=channel,
        result=result,
        contact_type=contact_type or "",
        vehicle=vehicle,
        phone=phone or "",
        call_back_on=call_back_on,
        note=note,
        today=store_today(current.dealership, now=now),
    )
    if errors:
        raise ValidationError(errors)
    log = ContactLog.objects.create(
        dealership_id=current.dealership_id,
        customer=current,
        vehicle=vehicle,
        vin=vehicle.vin if vehicle is not None else "",
        contact_type=contact_type or "",
        channel=channel,
        result=result,
        phone=phone or "",
        call_back_on=call_back_on if result == ContactResult.CALL_BACK else None,
        note=note,
        user=actor,
        user_label=actor_label[:120],
        contacted_at=now,
    )
    _last_contact_keep(log)
    logged = ContactLogged(log=log)
    if result == ContactResult.DO_NOT_CALL:
        logged.do_not_call, logged.methods_turned_off = _do_not_call(
            customer=current, log=log, actor=actor, actor_label=actor_label, now=now
        )
        customer.preferred_contact_method = current.preferred_contact_method
        customer.version = current.version
    elif result == ContactResult.WRONG_NUMBER:
        logged.remove_field = next(iter(phone_fields_holding(current, log.phone)), "")
    return logged
