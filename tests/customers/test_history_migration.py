"""customers 0009 converts history rows of the old format ({field, label, old, new} with display text) to raw
values; the history panel then shows them through the field registry."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

OLD = ("customers", "0008_audit_log")
NEW = ("customers", "0009_history_raw_values")


@pytest.fixture
def old_state(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([OLD, ("contacts", "0003_turnoffevent_moved_to_customers")])
    apps = executor.loader.project_state([OLD]).apps
    yield apps
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _make_old_rows(apps):
    Dealership = apps.get_model("customers", "Dealership")
    Customer = apps.get_model("customers", "Customer")
    TurnOffReason = apps.get_model("customers", "TurnOffReason")
    CustomerHistory = apps.get_model("customers", "CustomerHistory")
    store = Dealership.objects.create(code="old", name="Old store", country="CA")
    customer = Customer.objects.create(dealership=store, dealermine_number=1, last_name="Tremblay")
    moved = TurnOffReason.objects.create(code="MOV", label="Moved", applies_to_contact_method=True)
    changes = [
        {"field": "cell_phone", "label": "Cell", "old": "(416) 555-0199", "new": ""},
        {"field": "home_phone", "label": "Home phone", "old": "+14165550123", "new": "+14165550124"},
        {"field": "is_fleet", "label": "Fleet", "old": "No", "new": "Yes"},
        {"field": "language", "label": "Language", "old": "English", "new": "French"},
        {"field": "contact_method:email", "label": "Email", "old": "On", "new": "Off (Moved)"},
        {"field": "preferred_contact_method", "label": "Preferred Method", "old": "Email", "new": ""},
        {"field": "last_name", "label": "Last Name", "old": "Tremblay", "new": "Tremblay-Roy"},
        {
            "field": "email_consent.basis",
            "label": "Email consent (a@b.ca): Basis",
            "old": "",
            "new": "Implied by purchase",
        },
    ]
    entry = CustomerHistory.objects.create(
        customer=customer, created_at=timezone.now(), action="update", changes=changes
    )
    return entry.pk, moved.pk


@pytest.mark.django_db(transaction=True)
def test_old_rows_become_raw_values(old_state):
    entry_id, moved_id = _make_old_rows(old_state)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([NEW])
    apps = executor.loader.project_state([NEW]).apps
    changes = apps.get_model("customers", "CustomerHistory").objects.get(pk=entry_id).changes
    by_key = {c["field"]: c for c in changes}
    assert all("label" not in c for c in changes)
    assert by_key["cell_phone"] == {"field": "cell_phone", "old": "+14165550199", "new": None}
    assert by_key["home_phone"]["new"] == "+14165550124"
    assert by_key["is_fleet"] == {"field": "is_fleet", "old": False, "new": True}
    assert by_key["language"] == {"field": "language", "old": "en", "new": "fr"}
    assert by_key["contact_method:email"]["new"] == {"on": False, "reason": moved_id}
    assert by_key["contact_method:email"]["old"] == {"on": True, "reason": None}
    assert by_key["preferred_contact_method"]["old"] == "email"
    assert by_key["last_name"]["new"] == "Tremblay-Roy"
    assert by_key["email_consent:a@b.ca:basis"]["new"] == "implied_purchase"


@pytest.mark.django_db(transaction=True)
def test_converted_rows_read_like_new_ones(old_state):
    entry_id, _moved_id = _make_old_rows(old_state)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from customers.models import CustomerHistory
    from customers.selectors.history import history_rows

    (row,) = history_rows(CustomerHistory.objects.filter(pk=entry_id))
    shown = {c.key: (c.label, c.old, c.new) for c in row.changes}
    assert shown["cell_phone"] == ("Cell", "(416) 555-0199", "")
    assert shown["home_phone"][0] == "Home"  # one label whoever wrote the entry
    assert shown["contact_method:email"] == ("Email", "On", "Off (Moved)")
    assert shown["language"] == ("Language", "English", "French")
    assert shown["email_consent:a@b.ca:basis"] == ("Email consent (a@b.ca): Basis", "", "Implied by purchase")
