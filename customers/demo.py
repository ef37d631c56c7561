"""Demo data: two stores, ~2,000 customers, and the users of the README. Deterministic for a given seed.

The customer, vehicle and repair-order rows come from the same extract generator the DMS importer is
tested with (dms_sync.sample_extract), written as a file-drop extract and loaded through the real DMS
import (dms_sync.services.pull); what a DMS never sends (turn-offs, bounces, consent, associations,
verifications) is layered on top by customers.demo_work, the way coordinators would have produced it.
"""

import contextlib
import random
import tempfile
from datetime import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_noop

from contacts.demo import contact_history_counts, contact_history_demo
from contacts.models import ContactMethod, EmailBounce, EmailConsent
from dms_sync.sample_extract import ExtractSpec, extract_write

from .demo_work import coordinator_work_layer
from .models import (
    Association,
    Country,
    Customer,
    CustomerKind,
    CustomerStatus,
    Dealership,
    DmsAdapter,
    DmsVendor,
    Membership,
    RepairOrder,
    Role,
    ServiceAdvisor,
    TurnOffReason,
    Vehicle,
    VehicleContactType,
)

DEMO_SEED = 20261122


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

#: Global codes (no dealership): their labels are stored in English and shown translated
#: (TurnOffReason.display_label); gettext_noop puts them in the catalogue.
TURN_OFF_REASONS = [
    # code, label, status, contact method, vin contact type
    ("DECEASED", gettext_noop("Deceased"), True, True, True),
    ("OTHERDLR", gettext_noop("Services at another dealership"), True, False, True),
    ("RENTAL", gettext_noop("Rental car agency"), True, False, False),
    ("MOVED", gettext_noop("Moved away"), True, True, True),
    ("DNC", gettext_noop("Asked not to be contacted"), False, True, True),
    ("WRONGNUM", gettext_noop("Wrong number"), False, True, False),
    ("BOUNCED", gettext_noop("Email bounces"), False, True, False),
    ("SOLD", gettext_noop("Vehicle sold or traded"), False, False, True),
    ("NOINT", gettext_noop("Not interested"), False, False, True),
]

ADVISORS = ["Priya Natarajan", "Sam Okafor", "Lena Fischer", "Chris Duval"]


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
        coordinator_work_layer(store, reasons, users, random.Random(f"{seed}:{store.code}:work"))
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
