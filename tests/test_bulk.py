"""bulk_insert (COPY / executemany) must store exactly what Django's bulk_create stores."""

from datetime import date
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from contacts.models import ContactMethod
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerKind,
    Language,
    RepairOrder,
    TurnOffEvent,
    TurnOffTarget,
    Vehicle,
)
from dealermine.bulk import FAST_THRESHOLD, bulk_insert, bulk_update
from tests.customers.factories import DealershipFactory, TurnOffReasonFactory

pytestmark = pytest.mark.django_db

N = FAST_THRESHOLD + 5  # past the threshold: the driver path, not bulk_create


def _customers(store, prefix):
    return [
        Customer(
            dealership=store,
            dms_number=f"{prefix}{i}",
            dealermine_number=(1 if prefix == "a" else 10_000) + i,
            kind=CustomerKind.PROSPECT,  # a choices member, not a plain str
            first_name="Zoë",
            last_name=f"O'Brien {i}",
            language=Language.FRENCH,
            birth_date=date(1980, 2, 29),
            star_rating=7,
            labour_sales_total=Decimal("1234.50"),
            eservice_registered=True,
            home_phone="+17343052957",
            user_edited_at={"city": "2026-01-01T00:00:00+00:00"},
        )
        for i in range(N)
    ]


def _stored(model, **filters):
    skip = {"id", "dms_number", "dealermine_number", "created_at", "updated_at", "customer"}
    return [
        {k: v for k, v in model_to_dict(obj).items() if k not in skip}
        for obj in model.objects.filter(**filters).order_by("pk")
    ]


def test_customers_match_bulk_create():
    store = DealershipFactory()
    bulk_insert(Customer, _customers(store, "a"))
    Customer.objects.bulk_create(_customers(store, "b"))
    ours = _stored(Customer, dms_number__startswith="a")
    django = _stored(Customer, dms_number__startswith="b")
    assert len(ours) == N
    assert ours == django
    customer = Customer.objects.get(dms_number="a0")
    assert customer.kind == "prospect" and customer.language == "fr"
    assert customer.created_at is not None and customer.updated_at is not None
    assert customer.user_edited_at == {"city": "2026-01-01T00:00:00+00:00"}


def test_contact_methods_turn_off_events_and_vehicles_match_bulk_create():
    store = DealershipFactory()
    reason = TurnOffReasonFactory(dealership=store, applies_to_contact_method=True)
    bulk_insert(Customer, _customers(store, "a"))
    owners = list(Customer.objects.filter(dealership=store).order_by("pk"))
    now = timezone.now()

    def batch():
        methods = [
            ContactMethod(customer=c, method=ContactMethodKind.EMAIL, is_on=False, reason=reason, changed_at=now)
            for c in owners
        ]
        events = [
            TurnOffEvent(
                customer=c,
                target=TurnOffTarget.CONTACT_METHOD,
                code=ContactMethodKind.EMAIL,
                is_on=False,
                reason=reason,
                actor_label="DMS sync",
                created_at=now,
            )
            for c in owners
        ]
        vehicles = [Vehicle(customer=c, vin=f"1HGCM82633A{c.pk:06d}"[-17:], year=2020, make="Honda") for c in owners]
        return methods, events, vehicles

    for model, objs in zip((ContactMethod, TurnOffEvent, Vehicle), batch(), strict=True):
        bulk_insert(model, objs)
    ours = [_stored(model) for model in (ContactMethod, TurnOffEvent, Vehicle)]
    for model in (ContactMethod, TurnOffEvent, Vehicle):
        model.objects.all().delete()
    for model, objs in zip((ContactMethod, TurnOffEvent, Vehicle), batch(), strict=True):
        model.objects.bulk_create(objs)
    django = [_stored(model) for model in (ContactMethod, TurnOffEvent, Vehicle)]
    assert [len(rows) for rows in ours] == [N, N, N]
    assert ours == django
    assert ContactMethod.objects.first().method == "email"
    assert TurnOffEvent.objects.first().target == "contact_method"


def test_rows_given_as_values_match_bulk_create():
    """The pull hands new rows as dicts of attname -> value: a field left out takes its default."""
    store = DealershipFactory()
    bulk_insert(Customer, _customers(store, "a"))
    owners = list(Customer.objects.filter(dealership=store).order_by("pk"))

    def values():
        vehicles = [
            {"customer_id": c.pk, "vin": f"1HGCM82633A{c.pk:06d}"[-17:], "year": 2020, "make": "Honda"} for c in owners
        ]
        orders = [
            {
                "dealership_id": store.pk,
                "customer_id": c.pk,
                "ro_number": f"RO{c.pk}",
                "closed_date": date(2026, 1, 31),
                "labour_sale": Decimal("99.95"),
            }
            for c in owners
        ]
        customers = [
            {
                "dealership_id": store.pk,
                "dms_number": f"v{i}",
                "dealermine_number": 50_000 + i,
                "kind": CustomerKind.BUSINESS,
                "other_name": "Ünïcode Fleet Ltd",
                "user_edited_at": {"city": "2026-01-01T00:00:00+00:00"},
            }
            for i in range(N)
        ]
        return vehicles, orders, customers

    for model, rows in zip((Vehicle, RepairOrder, Customer), values(), strict=True):
        bulk_insert(model, rows)
    ours = [_stored(Vehicle), _stored(RepairOrder), _stored(Customer, dms_number__startswith="v")]
    Vehicle.objects.all().delete()
    RepairOrder.objects.all().delete()
    Customer.objects.filter(dms_number__startswith="v").delete()
    for model, rows in zip((Vehicle, RepairOrder, Customer), values(), strict=True):
        model.objects.bulk_create([model(**row) for row in rows])
    django = [_stored(Vehicle), _stored(RepairOrder), _stored(Customer, dms_number__startswith="v")]
    assert [len(rows) for rows in ours] == [N, N, N]
    assert ours == django
    vehicle = Vehicle.objects.first()
    assert vehicle.owns is True and vehicle.created_at is not None  # defaults and auto_now_add filled in


def test_values_from_a_generator_are_written_as_they_come_even_a_few():
    store = DealershipFactory()
    produced = []

    def rows():
        for i in range(3):
            produced.append(i)
            yield {"dealership_id": store.pk, "dms_number": f"x{i}", "dealermine_number": i + 1}

    bulk_insert(Customer, rows())
    bulk_insert(Customer, iter(()))  # nothing to write is fine
    assert produced == [0, 1, 2]
    assert list(Customer.objects.filter(dealership=store).order_by("pk").values_list("dms_number", "kind")) == [
        ("x0", "person"),
        ("x1", "person"),
        ("x2", "person"),
    ]


def test_bulk_update_stores_what_django_bulk_update_stores():
    """The set-based update (COPY into a staging table, one UPDATE ... FROM) against Django's CASE per field."""
    store = DealershipFactory()
    bulk_insert(Customer, _customers(store, "a"))
    bulk_insert(Customer, _customers(store, "b"))
    stamp = timezone.now()
    fields = [
        "first_name",
        "language",
        "birth_date",
        "star_rating",
        "labour_sales_total",
        "eservice_registered",
        "dms_base",
        "preferred_advisor",
        "updated_at",
    ]
    changed = {}
    for prefix in ("a", "b"):
        changed[prefix] = list(Customer.objects.filter(dealership=store, dms_number__startswith=prefix).order_by("pk"))
        for i, customer in enumerate(changed[prefix]):
            customer.first_name = f"Zoé {i}" if i % 3 else ""
            customer.language = Language.ENGLISH
            customer.birth_date = None if i % 2 else date(1990, 1, i % 28 + 1)
            customer.star_rating = None if i % 5 == 0 else i % 10
            customer.labour_sales_total = Decimal(i) / 4
            customer.eservice_registered = bool(i % 2)
            customer.dms_base = {"last_name": f"O'Brien {i}", "allow_email": False} if i % 4 else {}
            customer.updated_at = stamp
    bulk_update(Customer, changed["a"], fields)
    Customer.objects.bulk_update(changed["b"], fields)
    ours = _stored(Customer, dms_number__startswith="a")
    django = _stored(Customer, dms_number__startswith="b")
    assert ours == django
    assert {c.updated_at for c in Customer.objects.filter(dealership=store)} == {stamp}
    assert Customer.objects.get(dms_number="a1").dms_base == {"last_name": "O'Brien 1", "allow_email": False}
