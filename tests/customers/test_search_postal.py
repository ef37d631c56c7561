"""The postal search when a code or prefix matches more customers than the page shows: the first ones by name
(the page's order), after the hits of the exact readings; the same rows as `postal_code__startswith`, whatever is
stored. On PostgreSQL the indexes of customers migration 0015 give them in that order (test_search.py checks the
planner uses them)."""

import pytest

from customers.models import Customer, CustomerKind
from customers.selectors.search import RESULT_ORDER, customer_search, postal_area
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# Stored codes a prefix search must treat as startswith does: normalized ones and what a DMS sends unnormalized.
STORED = ["M5V 3L9", "M5V 1A1", "M5V", "M5V3L9", "M5V-3L9", "M5V ", "M5W 1A1", "AM5V 3L9", ""]
STORED += ["48226", "48226-1234", "482261234", "48226X", "4822", "48227", "X48226", "0482260"]


def _ids(outcome):
    return [r.customer.pk for r in outcome.results]


def _by_name(**filters):
    return list(Customer.objects.filter(**filters).order_by(*RESULT_ORDER).values_list("pk", flat=True))


@pytest.mark.parametrize("prefix", ["M5V ", "M5W ", "48226", "48227"])
def test_postal_area_matches_exactly_the_codes_starting_with_the_prefix(us_store, prefix):
    for code in STORED:
        CustomerFactory(dealership=us_store, postal_code=code)
    by_area = Customer.objects.annotate(area=postal_area()).filter(area=prefix)
    assert sorted(by_area.values_list("postal_code", flat=True)) == sorted(c for c in STORED if c.startswith(prefix))


def test_fsa_search_past_the_limit_shows_the_first_customers_by_name(coordinator, ca_store, us_store):
    people = [("Zhang", "Amy"), ("Adams", "Zoe"), ("Adams", "Bob"), ("Moreau", "Luc"), ("Brown", "Ann")]
    for last, first in [*people, ("Adams", "Bob")]:
        CustomerFactory(dealership=ca_store, country="CA", postal_code="M5V 3L9", last_name=last, first_name=first)
    CustomerFactory(
        dealership=ca_store,
        country="CA",
        kind=CustomerKind.BUSINESS,
        last_name="",
        first_name="",
        other_name="Zenith Motors",
        postal_code="M5V 1A1",
    )
    for code in ("M5W 1A1", "M5V3L9", "M5V"):  # another FSA; unnormalized codes that do not start with "M5V "
        CustomerFactory(dealership=ca_store, country="CA", postal_code=code, last_name="Aaron")
    # In the coordinator's other store: a search without a picked store covers both.
    CustomerFactory(dealership=us_store, postal_code="M5V 2T6", last_name="Abbott", first_name="Ann")

    expected = _by_name(postal_code__startswith="M5V ")
    assert len(expected) == 8
    outcome = customer_search(user=coordinator, query="m5v", limit=4)
    assert _ids(outcome) == expected[:4] and outcome.truncated
    names = [(r.customer.last_name, r.customer.first_name, r.customer.other_name) for r in outcome.results]
    assert names == [("", "", "Zenith Motors"), ("Abbott", "Ann", ""), ("Adams", "Bob", ""), ("Adams", "Bob", "")]
    picked = customer_search(user=coordinator, query="M5V", dealership_id=ca_store.pk, limit=4)
    assert _ids(picked) == _by_name(dealership=ca_store, postal_code__startswith="M5V ")[:4]
    whole = customer_search(user=coordinator, query="m5v", limit=8)
    assert _ids(whole) == expected and not whole.truncated


def test_zip_search_past_the_limit_keeps_the_exact_hits_first(coordinator, us_store):
    for i, code in enumerate(["48226", "48226-1234", "482261234", "48226", "48226-0001"]):
        CustomerFactory(dealership=us_store, postal_code=code, last_name=f"Miller{5 - i}")
    CustomerFactory(dealership=us_store, postal_code="48227", last_name="Adams")
    # The DealerMine number typed is a file of its own: an exact hit, never pushed off the page by the range.
    numbered = CustomerFactory(dealership=us_store, dealermine_number=48226, postal_code="90210", last_name="Zulu")

    outcome = customer_search(user=coordinator, query="48226", limit=3)
    first_by_name = _by_name(postal_code__startswith="48226")
    assert len(first_by_name) == 5 and outcome.truncated
    assert _ids(outcome) == sorted([numbered.pk, *first_by_name[:2]], key=lambda pk: pk == numbered.pk)
    assert {r.customer.pk: r.match_labels for r in outcome.results}[numbered.pk] == ["DealerMine #"]

    plus4 = customer_search(user=coordinator, query="48226-1234", limit=10)  # the ZIP's range, the ZIP+4 among it
    assert _ids(plus4) == first_by_name and not plus4.truncated


def test_exact_code_past_the_limit_shows_the_first_customers_by_name(coordinator, ca_store):
    for last in ["Roy", "Cote", "Bouchard", "Gagnon", "Tremblay"]:
        CustomerFactory(dealership=ca_store, country="CA", postal_code="K0A 1A0", last_name=last)
    CustomerFactory(dealership=ca_store, country="CA", postal_code="K0A 1B0", last_name="Abel")

    outcome = customer_search(user=coordinator, query="k0a1a0", limit=3)
    assert _ids(outcome) == _by_name(postal_code="K0A 1A0")[:3] and outcome.truncated
    assert [r.customer.last_name for r in outcome.results] == ["Bouchard", "Cote", "Gagnon"]
