"""Load what the contactability rule needs about one customer (contacts.contactability), in five queries:
contact methods that are off, bounce counts and consent of the customer's addresses, vehicles with the contact
types turned off, the customer's numbers on the store's do-not-call list. Screens that already loaded these facts
build `CustomerFacts` from their own rows instead.
"""

from django.db.models import Count, Q
from django.utils import timezone

from customers.fields import PHONE_METHOD_FIELDS, method_fields
from customers.models import ContactMethodKind, TurnOffReason, VehicleContactType

from ..contactability import Answer, CustomerFacts, EmailFacts, VehicleFacts, contactability
from ..models import ContactMethod, EmailBounce, EmailConsent
from ..rules import consent_is_expired
from .do_not_call import do_not_call_listed

#: The customer fields a contact method reaches.
REACHABLE_FIELDS = tuple(dict.fromkeys(key for method in ContactMethodKind.values for key in method_fields(method)))


def email_facts(*, dealership_id: int, customer_id: int, addresses, now) -> dict[str, EmailFacts]:
    """Bounce count and consent state per lower-cased address (two queries)."""
    lowered = {a.strip().lower() for a in addresses if a}
    if not lowered:
        return {}
    counts = dict(
        EmailBounce.objects.filter(dealership_id=dealership_id, email__in=lowered)
        .values("email")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("email", "n")
    )
    consents = {c.email: c for c in EmailConsent.objects.filter(customer_id=customer_id, email__in=lowered)}
    facts = {}
    for address in lowered:
        consent = consents.get(address)
        facts[address] = EmailFacts(
            bounce_count=counts.get(address, 0),
            opted_out=bool(consent and consent.opted_out_at),
            consent_expired=bool(
                consent and (consent.expired_at or consent_is_expired(expires_at=consent.expires_at, now=now))
            ),
        )
    return facts


def customer_contact_facts(*, customer, now=None) -> CustomerFacts:
    """The facts of `customer` (its `dealership` should be loaded by the caller; the bounce limit is read there)."""
    now = now or timezone.now()
    values = {key: getattr(customer, key) or "" for key in REACHABLE_FIELDS}
    methods_off = {
        method: TurnOffReason.label_for_display(label or "", dealership_id=store)
        for method, label, store in ContactMethod.objects.filter(customer=customer, is_on=False).values_list(
            "method", "reason__label", "reason__dealership_id"
        )
    }
    emails = email_facts(
        dealership_id=customer.dealership_id,
        customer_id=customer.pk,
        addresses=[values[k] for k in method_fields(ContactMethodKind.EMAIL)],
        now=now,
    )
    vehicles = []
    off_by_vehicle: dict[int, set[str]] = {}
    for vehicle_id, contact_type in VehicleContactType.objects.filter(
        Q(vehicle__customer=customer), is_on=False
    ).values_list("vehicle_id", "contact_type"):
        off_by_vehicle.setdefault(vehicle_id, set()).add(contact_type)
    for vehicle in customer.vehicles.all().only("id", "vin", "owns"):
        vehicles.append(
            VehicleFacts(
                id=vehicle.pk,
                vin=vehicle.vin,
                owns=vehicle.owns,
                types_off=frozenset(off_by_vehicle.get(vehicle.pk, ())),
            )
        )
    return CustomerFacts(
        is_active=customer.is_active,
        is_duplicate_child=customer.is_duplicate_child,
        values=values,
        methods_off=methods_off,
        emails=emails,
        bounce_limit=customer.dealership.email_bounce_limit,
        vehicles=tuple(vehicles),
        do_not_call=frozenset(
            do_not_call_listed(customer.dealership_id, [values[key] for key in PHONE_METHOD_FIELDS.values()])
        ),
    )


def customer_contactability(*, customer, now=None) -> dict[str, Answer]:
    """Each contact method's answer for `customer` (no contact type): what the profile's indicators show."""
    facts = customer_contact_facts(customer=customer, now=now)
    return {method: contactability(facts, method=method) for method in ContactMethodKind.values}
