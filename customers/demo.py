"""Demo data: two stores, ~2,000 customers, and the users of the README. Deterministic for a given seed.

The customer, vehicle and repair-order rows come from the same extract generator the DMS importer is
tested with (dms_sync.sample_extract), written as a file-drop extract and loaded through the real DMS
import (dms_sync.services.pull); what a DMS never sends (turn-offs, bounces, consent, associations,
verifications) is layered on top here, the way coordinators would have produced it.
"""

import contextlib
import random
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from contacts.demo import contact_history_counts, contact_history_demo
from contacts.models import BounceSource, ConsentBasis, ContactMethod, EmailBounce, EmailConsent
from customers.models import TurnOffTarget
from dms_sync.sample_extract import ExtractSpec, extract_write

from .audit import audit_bulk_save, turn_off_entry
from .models import (
    Association,
    ContactMethodKind,
    Country,
    Customer,
    CustomerKind,
    CustomerStatus,
    DayNight,
    Dealership,
    DmsAdapter,
    DmsVendor,
    Inquiry,
    Membership,
    Relationship,
    RepairOrder,
    Role,
    ServiceAdvisor,
    TurnOffReason,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
    VinContactType,
)
from .rules import method_has_value

DEMO_SEED = 20261122
DEMO_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.get_fixed_timezone(0))

DEMO_STORES = [
    {
        "code": "maple-ridge",
        "name": "Maple Ridge Toyota",
        "country": Country.CA,
        "time_zone": "America/Toronto",
        "dms_vendor": DmsVendor.REYNOLDS,
        "dms_adapter": DmsAdapter.FILE_DROP,
        "has_showroom_equity": True,
        "customers": 1000,
        "first_number": 500000,
    },
    {
        "code": "lakeside",
        "name": "Lakeside Honda",
        "country": Country.US,
        "time_zone": "America/Detroit",
        "dms_vendor": DmsVendor.CDK,
        "dms_adapter": DmsAdapter.FILE_DROP,
        "has_showroom_equity": False,
        "customers": 1000,
        "first_number": 800000,
    },
]

DEMO_USERS = [
    # (username, first, last, is_staff, store codes)
    ("coordinator", "Casey", "Morgan", False, ["maple-ridge", "lakeside"]),
    ("coordinator_us", "Jordan", "Ellis", False, ["lakeside"]),
    ("admin", "Alex", "Admin", True, []),
]

TURN_OFF_REASONS = [
    # code, label, status, contact method, vin contact type
    ("DECEASED", "Deceased", True, True, True),
    ("OTHERDLR", "Services at another dealership", True, False, True),
    ("RENTAL", "Rental car agency", True, False, False),
    ("MOVED", "Moved away", True, True, True),
    ("DNC", "Asked not to be contacted", False, True, True),
    ("WRONGNUM", "Wrong number", False, True, False),
    ("BOUNCED", "Email bounces", False, True, False),
    ("SOLD", "Vehicle sold or traded", False, False, True),
    ("NOINT", "Not interested", False, False, True),
]

ADVISORS = ["Priya Natarajan", "Sam Okafor", "Lena Fischer", "Chris Duval"]
CAMPAIGNS = ["Winter tire promo", "Oil change reminder", "Recall notice", "Spring service"]


#: The customer fields the coordinators' layer sets on top of the DMS data.
LAYERED_FIELDS = [
    *("status", "inactive_reason", "inactivated_at", "inactivated_by", "preferred_contact_method", "day_night"),
    *("is_fleet", "preferred_advisor", "address_to", "twitter_handle", "entered_by"),
    "entered_by_name",
]


class DemoRefused(ImproperlyConfigured):
    pass


def _load_store_rows(store, spec: ExtractSpec):
    """Load the store's customers through the real DMS import: a file-drop extract, then the sync service.

    The extract is written to a private folder beside the drop and, once imported, moved to the store's
    drop folder (`DMS_DROP_ROOT/<CODE>/<YYYYMMDD>/`) when none is there yet, so a later `manage.py dms_pull`
    finds it (and finds nothing to change). The DMS's allow_* flags become contact-method turn-offs inside
    the import (reason "Turned off in the DMS", with Turn Off history), so nothing is left for the caller.
    """
    from dms_sync.services.pull import dms_pull

    drop_root = Path(settings.DMS_DROP_ROOT)
    drop_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".demo-", dir=drop_root) as private:
        folder = extract_write(spec=spec, out_dir=Path(private))
        run = dms_pull(dealership=store, path=folder)
        if run.status != "succeeded" or run.quarantined:
            raise ImproperlyConfigured(f"The demo extract for {store.code} did not import cleanly: {run.error}")
        target = drop_root / store.code / folder.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # another loader got there first: its extract is the same
                folder.rename(target)
    return []


def _ensure_reasons():
    reasons = {}
    for code, label, status, method, vin_type in TURN_OFF_REASONS:
        reasons[code], _ = TurnOffReason.objects.get_or_create(
            dealership=None,
            code=code,
            defaults={
                "label": label,
                "applies_to_status": status,
                "applies_to_contact_method": method,
                "applies_to_vin_contact_type": vin_type,
            },
        )
    return reasons


def _ensure_users(stores):
    User = get_user_model()
    users = {}
    for username, first, last, is_staff, codes in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "is_staff": is_staff, "is_superuser": is_staff},
        )
        if created:
            user.set_password(username)
            user.save(update_fields=["password"])
        for code in codes:
            Membership.objects.get_or_create(user=user, dealership=stores[code], defaults={"role": Role.COORDINATOR})
        users[username] = user
    return users


def _layer_coordinator_work(store, reasons, users, rng):
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


def demo_allowed():
    return settings.DEMO_DATA_ALLOWED


@transaction.atomic
def demo_load(*, seed: int = DEMO_SEED, customers_per_store: int | None = None) -> dict:
    """Create the demo stores, users and customers. Refuses under production settings and on a non-empty store."""
    if not demo_allowed():
        raise DemoRefused("Demo data is never loaded with production settings (its passwords equal the user names).")
    reasons = _ensure_reasons()
    stores = {}
    for spec in DEMO_STORES:
        store, _ = Dealership.objects.get_or_create(
            code=spec["code"],
            defaults={
                k: spec[k] for k in ("name", "country", "time_zone", "dms_vendor", "dms_adapter", "has_showroom_equity")
            }
            | {"nightly_pull_time": time(2, 0), "bounce_webhook_secret": f"demo-secret-{spec['code']}"},
        )
        stores[spec["code"]] = store
        for name in ADVISORS:
            ServiceAdvisor.objects.get_or_create(dealership=store, name=name)
    users = _ensure_users(stores)
    for spec in DEMO_STORES:
        store = stores[spec["code"]]
        if store.customers.exists():
            raise DemoRefused(f"Store {store.code} already has customers; the demo loads into an empty database.")
        extract_spec = ExtractSpec(
            dealership_code=store.code,
            country=store.country,
            customers=customers_per_store or spec["customers"],
            seed=seed,
            has_showroom_equity=store.has_showroom_equity,
            first_number=spec["first_number"],
        )
        _load_store_rows(store, extract_spec)
        store.refresh_from_db()
        _layer_coordinator_work(store, reasons, users, random.Random(f"{seed}:{store.code}:work"))
        # "Last contact" comes from the contact history (and the extract's last_contact_date column).
        coordinators = [u for u in users.values() if store.memberships.filter(user=u).exists()]
        contact_history_demo(store=store, users=coordinators, rng=random.Random(f"{seed}:{store.code}:contacts"))
    return demo_counts()


def demo_counts() -> dict:
    return {
        "dealerships": Dealership.objects.count(),
        "customers": Customer.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "repair_orders": RepairOrder.objects.count(),
        "inactive": Customer.objects.filter(status=CustomerStatus.INACTIVE).count(),
        "prospects": Customer.objects.filter(kind=CustomerKind.PROSPECT).count(),
        "businesses": Customer.objects.filter(kind=CustomerKind.BUSINESS).count(),
        "bounces": EmailBounce.objects.count(),
        "opted_out": EmailConsent.objects.filter(opted_out_at__isnull=False).count(),
        "contact_methods_off": ContactMethod.objects.filter(is_on=False).count(),
        "vin_types_off": VehicleContactType.objects.filter(is_on=False).count(),
        "associations": Association.objects.count(),
        **contact_history_counts(),
    }
