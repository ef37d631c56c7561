"""The demo's coordinator layer: what coordinators and the email provider produce over time on top of the DMS data
(statuses, preferred methods, turn-offs, verifications, inquiries, bounces, consent, associations), as of
DEMO_NOW. customers.demo loads the DMS data through the real import and then calls `coordinator_work_layer`."""

from datetime import datetime, timedelta

from django.utils import timezone

from contacts.models import BounceSource, ConsentBasis, ContactMethod, EmailBounce, EmailConsent

from .audit import audit_bulk_save, turn_off_entry
from .models import (
    Association,
    ContactMethodKind,
    Customer,
    CustomerKind,
    CustomerStatus,
    DayNight,
    Inquiry,
    Relationship,
    TurnOffTarget,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
    VinContactType,
)
from .rules import method_has_value

DEMO_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.get_fixed_timezone(0))
CAMPAIGNS = ["Winter tire promo", "Oil change reminder", "Recall notice", "Spring service"]

#: The customer fields the coordinators' layer sets on top of the DMS data.
LAYERED_FIELDS = [
    *("status", "inactive_reason", "inactivated_at", "inactivated_by", "preferred_contact_method", "day_night"),
    *("is_fleet", "preferred_advisor", "address_to", "twitter_handle", "entered_by"),
    "entered_by_name",
]


def coordinator_work_layer(store, reasons, users, rng):
    """What coordinators and the email provider produced over time, on top of the DMS data."""
    customers = list(Customer.objects.filter(dealership=store).order_by("id"))
    coordinator = users["coordinator"]
    # A preferred method is always one that is on and has a value (the contact-state writer's invariant).
    off = set(
        ContactMethod.objects.filter(customer__dealership=store, is_on=False).values_list("customer_id", "method")
    )

    advisors = list(store.advisors.all())
    events, stamps, inquiries, bounces, consents, vct = [], [], [], [], [], []
    changed = []
    inactive_reasons = [reasons[c] for c in ("DECEASED", "OTHERDLR", "RENTAL", "MOVED")]
    for c in customers:
        dirty = False
        if c.kind != CustomerKind.PROSPECT and rng.random() < 0.06:
            c.status = CustomerStatus.INACTIVE
            c.inactive_reason = rng.choice(inactive_reasons)
            c.inactivated_at = DEMO_NOW - timedelta(days=rng.randint(10, 900))
            c.inactivated_by = coordinator
            dirty = True
        if rng.random() < 0.35:
            usable = [m for m in ContactMethodKind.values if method_has_value(c, m) and (c.pk, m) not in off]
            c.preferred_contact_method = rng.choice(usable or [""])
            dirty = True
        if rng.random() < 0.5:
            c.day_night = rng.choice([DayNight.DAY, DayNight.DAY, DayNight.NIGHT])
            dirty = True
        if rng.random() < 0.05:
            c.is_fleet = True
            dirty = True
        if advisors and rng.random() < 0.3:
            c.preferred_advisor = rng.choice(advisors)
            dirty = True
        if c.kind != CustomerKind.BUSINESS and rng.random() < 0.15:
            c.address_to = f"Mr. & Mrs. {c.last_name}" if rng.random() < 0.5 else f"{c.first_name} {c.last_name}"
            dirty = True
        if rng.random() < 0.1:
            c.twitter_handle = f"{c.first_name or 'dm'}{rng.randint(10, 99)}".lower()[:15]
            dirty = True
        if c.kind == CustomerKind.PROSPECT and rng.random() < 0.3:
            c.entered_by = coordinator
            c.entered_by_name = coordinator.get_full_name()
            dirty = True
        if dirty:
            changed.append(c)

        if rng.random() < 0.4:
            stamps.append(
                VerificationStamp(
                    customer=c, verified_by=coordinator, verified_at=DEMO_NOW - timedelta(days=rng.randint(0, 500))
                )
            )
        if rng.random() < 0.2:
            inquiries.append(
                Inquiry(customer=c, user=coordinator, created_at=DEMO_NOW - timedelta(days=rng.randint(0, 60)))
            )
        if c.email1 and rng.random() < 0.08:
            for _ in range(rng.choice([1, 1, 2, 3, 4])):
                bounces.append(
                    EmailBounce(
                        dealership=store,
                        email=c.email1,
                        bounced_at=DEMO_NOW - timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 23)),
                        campaign=rng.choice(CAMPAIGNS),
                        kind="hard",
                        reason="550 5.1.1 mailbox unavailable",
                        source=BounceSource.DEMO,
                    )
                )
        if c.email1 and rng.random() < 0.5:
            basis = rng.choice([ConsentBasis.EXPRESS, ConsentBasis.IMPLIED_PURCHASE, ConsentBasis.IMPLIED_INQUIRY])
            obtained = DEMO_NOW - timedelta(days=rng.randint(10, 1000))
            expires = {
                ConsentBasis.EXPRESS: None,
                ConsentBasis.IMPLIED_PURCHASE: obtained + timedelta(days=730),
                ConsentBasis.IMPLIED_INQUIRY: obtained + timedelta(days=182),
            }[basis]
            opted_out = DEMO_NOW - timedelta(days=rng.randint(1, 300)) if rng.random() < 0.1 else None
            consents.append(
                EmailConsent(
                    customer=c,
                    email=c.email1,
                    basis=basis,
                    source="Service drive" if basis != ConsentBasis.IMPLIED_INQUIRY else "Web inquiry",
                    obtained_at=obtained,
                    expires_at=expires,
                    opted_out_at=opted_out,
                    created_by=coordinator,
                )
            )
    Customer.objects.bulk_update(changed, LAYERED_FIELDS, batch_size=500)
    for c in changed:
        if c.status == CustomerStatus.INACTIVE:
            events.append(
                turn_off_entry(
                    customer=c,
                    target=TurnOffTarget.STATUS,
                    code="status",
                    is_on=False,
                    reason=c.inactive_reason,
                    actor=coordinator,
                    now=c.inactivated_at,
                )
            )

    vehicles = list(Vehicle.objects.filter(customer__dealership=store).order_by("id"))
    vin_reasons = [reasons["NOINT"], reasons["DNC"], reasons["OTHERDLR"]]
    types = list(VinContactType)
    for v in vehicles:
        if not v.owns:
            v.owns_reason = reasons["SOLD"]
        elif rng.random() < 0.12:
            ct = rng.choice(types)
            reason = rng.choice(vin_reasons)
            when = DEMO_NOW - timedelta(days=rng.randint(5, 400))
            vct.append(
                VehicleContactType(
                    vehicle=v,
                    contact_type=ct,
                    is_on=False,
                    reason=reason,
                    comment="Customer request",
                    changed_by=coordinator,
                    changed_at=when,
                )
            )
            events.append(
                turn_off_entry(
                    customer_id=v.customer_id,
                    vehicle=v,
                    target=TurnOffTarget.VIN_CONTACT_TYPE,
                    code=ct,
                    is_on=False,
                    reason=reason,
                    comment="Customer request",
                    actor=coordinator,
                    now=when,
                )
            )
    Vehicle.objects.bulk_update([v for v in vehicles if not v.owns], ["owns_reason"], batch_size=500)
    VehicleContactType.objects.bulk_create(vct, batch_size=500)

    associations = []
    people = [c for c in customers if c.kind == CustomerKind.PERSON]
    by_last = {}
    for c in people:
        by_last.setdefault(c.last_name, []).append(c)
    seen_pairs = set()
    for group in by_last.values():
        if len(group) < 2 or rng.random() > 0.3:
            continue
        a, b = group[0], group[1]
        if (a.pk, b.pk) in seen_pairs:
            continue
        seen_pairs.add((a.pk, b.pk))
        associations.append(
            Association(
                from_customer=a,
                to_customer=b,
                relationship=rng.choice([Relationship.SPOUSE, Relationship.FAMILY, Relationship.FRIEND]),
                note="Same household" if rng.random() < 0.5 else "",
                created_by=coordinator,
            )
        )
    Association.objects.bulk_create(associations, batch_size=500)
    audit_bulk_save(turn_offs=events)
    VerificationStamp.objects.bulk_create(stamps, batch_size=500)
    Inquiry.objects.bulk_create(inquiries, batch_size=500)
    EmailBounce.objects.bulk_create(bounces, batch_size=500)
    EmailConsent.objects.bulk_create(consents, batch_size=500)
