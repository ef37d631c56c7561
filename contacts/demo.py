"""Demo contact history (called by customers.demo after a store's customers are loaded): what a few months of
coordinators working Call Select leave behind, written through the real service (contacts.services.contact_log),
so every consequence is the product's own: the recycle per contact type, call backs (some due today, at the top
of Call Select), "do not call" answers on the store's do-not-call list with the phone methods turned off, wrong
numbers, inbound calls and walk-ins.

Dates are relative to the moment the demo is loaded (not customers.demo.DEMO_NOW), so today's Call Select shows
the recycle and the call backs as a coordinator would see them on that day; which customers and what happened is
deterministic (the caller's seeded random generator).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.fields import PHONE_METHOD_FIELDS
from customers.models import Customer, CustomerStatus, VinContactType

from .models import ContactChannel, ContactLog, ContactResult, DoNotCallNumber
from .services.contact_log import contact_log_record

#: Share of a store's active customers with vehicles who have a contact history.
SHARE = 0.18
TYPES = [VinContactType.MAINTENANCE] * 5 + [VinContactType.CSI] * 2 + [VinContactType.RECALLS, VinContactType.MARKETING]
OUTBOUND_RESULTS = (
    [ContactResult.NO_ANSWER] * 5
    + [ContactResult.LEFT_MESSAGE] * 5
    + [ContactResult.BOOKED] * 4
    + [ContactResult.BUSY] * 2
    + [ContactResult.OTHER]
)
NOTES = {
    ContactResult.BOOKED: ["Booked oil change", "Booked 60k service", "Booked for recall", "Tire swap booked"],
    ContactResult.LEFT_MESSAGE: ["Left voicemail", "Left message with spouse", ""],
    ContactResult.OTHER: ["Already serviced elsewhere this month", "Will call us when ready", ""],
    ContactResult.CALL_BACK: ["Asked to call back next week", "At work, call back", "Call after payday"],
    ContactResult.DO_NOT_CALL: ["Asked to be removed from our call list", "Upset about calls, do not call"],
    ContactResult.WRONG_NUMBER: ["Number belongs to someone else", "Disconnected"],
}


def _number(customer) -> str:
    return next((getattr(customer, key) for key in PHONE_METHOD_FIELDS.values() if getattr(customer, key)), "")


def _at(now: datetime, zone: ZoneInfo, days_ago: int, rng) -> datetime:
    """A working-hours moment `days_ago` days before `now` (store time)."""
    day = (now - timedelta(days=days_ago)).astimezone(zone)
    moment = day.replace(hour=rng.randint(9, 18), minute=rng.choice([0, 10, 20, 30, 40, 50]), second=0, microsecond=0)
    return min(moment, now - timedelta(minutes=5))


def contact_history_demo(*, store, users, rng, now=None) -> dict:
    """Log the demo contacts of one store; returns {"contact_logs", "do_not_call"} counts for the store."""
    now = now or timezone.now()
    zone = ZoneInfo(store.time_zone)
    today = now.astimezone(zone).date()
    customers = list(
        Customer.objects.filter(dealership=store, status=CustomerStatus.ACTIVE, merge_parent__isnull=True)
        .filter(vehicles__owns=True)
        .distinct()
        .select_related("dealership")
        .order_by("id")
    )
    chosen = [c for c in customers if rng.random() < SHARE]
    for index, customer in enumerate(chosen):
        user = rng.choice(users)
        vehicle = customer.vehicles.filter(owns=True).order_by("-year", "vin").first()
        number = _number(customer)
        # A few months of outbound calls for a type, oldest first.
        for days_ago in sorted(rng.sample(range(3, 150), k=rng.choice([1, 1, 2, 2, 3])), reverse=True):
            result = rng.choice(OUTBOUND_RESULTS)
            contact_log_record(
                customer=customer,
                channel=ContactChannel.PHONE_OUT if number else ContactChannel.LETTER,
                result=result,
                contact_type=rng.choice(TYPES),
                vehicle=vehicle,
                phone=number,
                note=rng.choice(NOTES.get(result, [""])),
                actor=user,
                now=_at(now, zone, days_ago, rng),
            )
        if rng.random() < 0.15:  # the customer called in (or walked in) about something
            contact_log_record(
                customer=customer,
                channel=rng.choice([ContactChannel.PHONE_IN, ContactChannel.PHONE_IN, ContactChannel.WALK_IN]),
                result=rng.choice([ContactResult.BOOKED, ContactResult.OTHER]),
                vehicle=vehicle,
                note="Customer called in" if rng.random() < 0.7 else "",
                actor=user,
                now=_at(now, zone, rng.randint(1, 40), rng),
            )
        special = index % 25
        if special in (0, 1, 2) and number:  # asked to be called back: due today or in the next days
            asked = _at(now, zone, rng.randint(1, 6), rng)
            due = max(today + timedelta(days=special - 1), asked.astimezone(zone).date())
            contact_log_record(
                customer=customer,
                channel=ContactChannel.PHONE_OUT,
                result=ContactResult.CALL_BACK,
                contact_type=VinContactType.MAINTENANCE,
                vehicle=vehicle,
                phone=number,
                call_back_on=due,
                note=rng.choice(NOTES[ContactResult.CALL_BACK]),
                actor=user,
                now=asked,
            )
        elif special == 3 and number:
            contact_log_record(
                customer=customer,
                channel=ContactChannel.PHONE_OUT,
                result=ContactResult.DO_NOT_CALL,
                contact_type=VinContactType.MARKETING,
                vehicle=vehicle,
                phone=number,
                note=rng.choice(NOTES[ContactResult.DO_NOT_CALL]),
                actor=user,
                now=_at(now, zone, rng.randint(2, 60), rng),
            )
        elif special == 4 and number:
            contact_log_record(
                customer=customer,
                channel=ContactChannel.PHONE_OUT,
                result=ContactResult.WRONG_NUMBER,
                contact_type=VinContactType.MAINTENANCE,
                vehicle=vehicle,
                phone=number,
                note=rng.choice(NOTES[ContactResult.WRONG_NUMBER]),
                actor=user,
                now=_at(now, zone, rng.randint(2, 60), rng),
            )
    return {
        "contact_logs": ContactLog.objects.filter(dealership=store).count(),
        "do_not_call": DoNotCallNumber.objects.filter(dealership=store).count(),
    }


def contact_history_counts() -> dict:
    return {"contact_logs": ContactLog.objects.count(), "do_not_call": DoNotCallNumber.objects.count()}
