"""Call Select's SQL and the contactability function agree (DESIGN §3, §5).

Hypothesis generates stores full of varied customers - active or inactive, duplicate children, methods turned
off, phones / emails / address line 1 empty or not, phones on the store's do-not-call list (and every number on
another store's list, which must not count), bounces below or at the store's limit, consent opted out, expired or
valid, vehicles owned or sold with contact types turned off - and for each contact type drawn, the customers
`call_select_list` returns are exactly those `contactable_for_type` says yes to. (Nobody was contacted: the
recycle days and call backs decide who is due among the contactable, tests/contacts/test_contact_log.py.)
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.contactability import contactable_for_type
from contacts.models import ConsentBasis
from contacts.selectors import call_select_list
from contacts.selectors.call_select import MAX_LIMIT
from contacts.selectors.contactability import customer_contact_facts
from contacts.services import do_not_call_add
from customers.fields import EMAIL_FIELDS, PHONE_METHOD_FIELDS
from customers.models import ContactMethodKind, Customer, CustomerStatus, Relationship, VinContactType
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory, EmailConsentFactory
from tests.customers.factories import (
    CustomerFactory,
    DealershipFactory,
    MembershipFactory,
    TurnOffReasonFactory,
    UserFactory,
    VehicleContactTypeFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

CONTACT_TYPES = list(VinContactType.values)
CONSENTS = ["none", "valid", "express", "opted_out", "expired", "expired_flag", "flagged_only", "expires_later"]

email_spec = st.fixed_dictionaries(
    {
        # Mixed case on purpose: bounces are stored lower-cased and both sides must match them. Each customer's
        # addresses are its own (bounces count per store and address).
        "address": st.sampled_from(["lower", "", "Mixed"]),
        "bounces": st.integers(0, 3),
        "consent": st.sampled_from(CONSENTS),
    }
)
# Weighted so that each rule often decides alone: most customers are active and own a vehicle with the type on,
# and most can be reached by email only, so the email rules (bounces, consent) are what lists them or not.
vehicle_spec = st.fixed_dictionaries(
    {
        "owns": st.sampled_from([True, True, True, False]),
        "types_off": st.lists(st.sampled_from(CONTACT_TYPES), unique=True, max_size=2),
        "types_back_on": st.lists(st.sampled_from(CONTACT_TYPES), unique=True, max_size=1),
    }
)
customer_spec = st.fixed_dictionaries(
    {
        "active": st.sampled_from([True] * 7 + [False]),
        "duplicate_child": st.sampled_from([False] * 7 + [True]),
        "other_child": st.sampled_from([False] * 5 + [True]),  # merged as spouse: stays on Call Select
        # Which values are on file: emails only, the drawn phones, address line 1, or all the drawn values.
        "reach": st.sampled_from(["emails"] * 4 + ["phones", "mail", "all"]),
        "phones": st.fixed_dictionaries({field: st.sampled_from(["", "on"]) for field in PHONE_METHOD_FIELDS.values()}),
        # Which of the customer's numbers are on the store's do-not-call list: none, all or some.
        "do_not_call": st.one_of(
            st.just([]),
            st.just(list(PHONE_METHOD_FIELDS.values())),
            st.lists(st.sampled_from(list(PHONE_METHOD_FIELDS.values())), unique=True, max_size=2),
        ),
        "address1": st.sampled_from(["", "12 Main St"]),
        "emails": st.fixed_dictionaries(dict.fromkeys(EMAIL_FIELDS, email_spec)),
        # method -> "" (no row: on), "off", or "back on" (a row turned on again)
        "methods": st.fixed_dictionaries(
            {m: st.sampled_from([""] * 5 + ["off", "off", "back on"]) for m in ContactMethodKind.values}
        ),
        "vehicles": st.lists(vehicle_spec, min_size=1, max_size=2),
        "no_vehicle": st.sampled_from([False] * 7 + [True]),
    }
)
store_spec = st.fixed_dictionaries(
    {
        "bounce_limit": st.integers(1, 3),
        "customers": st.lists(customer_spec, min_size=6, max_size=12),
        "contact_types": st.lists(st.sampled_from(CONTACT_TYPES), min_size=1, max_size=3, unique=True),
    }
)


def _consent(customer, address, kind, now):
    if kind == "none":
        return
    values = {"customer": customer, "email": address.lower(), "basis": ConsentBasis.IMPLIED_PURCHASE}
    if kind == "valid":
        values |= {"obtained_at": now - timedelta(days=30), "expires_at": now + timedelta(days=700)}
    elif kind == "express":
        values |= {"basis": ConsentBasis.EXPRESS, "obtained_at": now - timedelta(days=30)}
    elif kind == "opted_out":
        values |= {"obtained_at": now - timedelta(days=30), "opted_out_at": now - timedelta(days=1)}
    elif kind == "expired":  # past its expiry, before the daily task flagged it
        values |= {"obtained_at": now - timedelta(days=800), "expires_at": now - timedelta(days=70)}
    elif kind == "expired_flag":  # flagged by the daily task
        values |= {
            "obtained_at": now - timedelta(days=800),
            "expires_at": now - timedelta(days=70),
            "expired_at": now - timedelta(days=69),
        }
    elif kind == "flagged_only":  # flagged expired, no expiry date kept
        values |= {"obtained_at": now - timedelta(days=800), "expired_at": now - timedelta(days=1)}
    elif kind == "expires_later":
        values |= {"obtained_at": now - timedelta(days=10), "expires_at": now + timedelta(seconds=30)}
    EmailConsentFactory(**values)


def _address(kind, *, n, field):
    if not kind:
        return ""
    return f"c{n}.{field}@mail.example.com" if kind == "lower" else f"C{n}.{field.title()}@Mail.Example.com"


def _number(n, field):
    """Each customer's own numbers (a listed number blocks everyone in the store who has it)."""
    return f"+1313555{n:02d}{list(PHONE_METHOD_FIELDS.values()).index(field):02d}"


def _make(store, spec, *, n, reason, parent, now, elsewhere):
    email_values = {field: _address(e["address"], n=n, field=field) for field, e in spec["emails"].items()}
    phones = {
        field: _number(n, field) if value and spec["reach"] in ("phones", "all") else ""
        for field, value in spec["phones"].items()
    }
    customer = CustomerFactory(
        dealership=store,
        status=CustomerStatus.ACTIVE if spec["active"] else CustomerStatus.INACTIVE,
        inactive_reason=None if spec["active"] else reason,
        address1=spec["address1"] if spec["reach"] in ("mail", "all") else "",
        **phones,
        **email_values,
    )
    for field in PHONE_METHOD_FIELDS.values():
        if field in spec["do_not_call"]:
            do_not_call_add(dealership=store, number=_number(n, field))
        do_not_call_add(dealership=elsewhere, number=_number(n, field))  # another store's list: never counts
    if spec["duplicate_child"] or spec["other_child"]:
        customer.merge_parent = parent
        customer.merge_relationship = Relationship.DUPLICATE if spec["duplicate_child"] else Relationship.SPOUSE
        customer.save(update_fields=["merge_parent", "merge_relationship"])
    for field, e in spec["emails"].items():
        address = email_values[field]
        if not address:
            continue
        EmailBounceFactory.create_batch(e["bounces"], dealership=store, email=address.lower())
        _consent(customer, address, e["consent"], now)
    for method, state in spec["methods"].items():
        if state:
            ContactMethodFactory(customer=customer, method=method, is_on=state == "back on", reason=reason)
    for v in [] if spec["no_vehicle"] else spec["vehicles"]:
        vehicle = VehicleFactory(customer=customer, owns=v["owns"])
        for contact_type in v["types_off"]:
            VehicleContactTypeFactory(
                vehicle=vehicle, contact_type=contact_type, is_on=contact_type in v["types_back_on"], reason=reason
            )
    return customer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=store_spec)
def test_call_select_lists_exactly_the_customers_the_function_says_are_contactable(spec):
    with transaction.atomic():
        now = timezone.now()
        store = DealershipFactory(email_bounce_limit=spec["bounce_limit"])
        user = UserFactory()
        MembershipFactory(user=user, dealership=store)
        reason = TurnOffReasonFactory()
        elsewhere = DealershipFactory()
        parent = CustomerFactory(dealership=store, cell_phone="", email1="", address1="")  # never eligible itself
        customers = [
            _make(store, c, n=n, reason=reason, parent=parent, now=now, elsewhere=elsewhere)
            for n, c in enumerate(spec["customers"])
        ]

        loaded = list(Customer.objects.filter(pk__in=[c.pk for c in customers]).select_related("dealership"))
        facts = {c.pk: customer_contact_facts(customer=c, now=now) for c in loaded}
        for contact_type in spec["contact_types"]:
            rows = call_select_list(
                user=user, dealership_id=store.pk, contact_type=contact_type, limit=MAX_LIMIT, now=now
            )
            listed = {row.customer.pk for row in rows} - {parent.pk}
            expected = {pk for pk, f in facts.items() if contactable_for_type(f, contact_type=contact_type)}
            assert listed == expected, {
                "contact_type": contact_type,
                "listed_not_contactable": sorted(listed - expected),
                "contactable_not_listed": sorted(expected - listed),
            }
        transaction.set_rollback(True)
