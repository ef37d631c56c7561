"""Who wins, field by field, between a coordinator and the DMS (DESIGN §6, the three-way merge), end to end:
a coordinator's edit through the services, then nightly extracts through dms_pull.

Dates are relative to today in the store's time zone: the coordinator edits today; a DMS row is dated before
or after that.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.services.methods import contact_method_switch
from customers.models import Customer, CustomerHistory, HistorySource, Relationship, TurnOffReason
from customers.services.customer import customer_update
from customers.services.merge import customer_merge
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.services.pull import dms_pull
from dms_sync.services.removal import customer_value_remove

from .extracts import csv_bytes, customer_row, write_raw_extract


@pytest.fixture
def days(file_store):
    """days(n): the ISO date n days from today in the store's time zone."""
    today = timezone.localdate(timezone=ZoneInfo(file_store.time_zone))
    return lambda n: (today + timedelta(days=n)).isoformat()


@pytest.fixture
def night(dms_dirs, file_store):
    """night(*rows): tonight's extract (a new folder each call) pulled; night() pulls the last one again."""
    folders = iter(range(1, 29))

    def pull(*rows):
        if rows:
            write_raw_extract(
                dms_dirs[0],
                file_store.code,
                customers=csv_bytes(CUSTOMER_COLUMNS, rows),
                customer_rows=len(rows),
                day=f"202701{next(folders):02d}",
            )
        run = dms_pull(dealership=file_store)
        assert run.status == "succeeded", run.error
        return run

    return pull


def customer(number) -> Customer:
    return Customer.objects.get(dms_number=number)


def last_dms_entry(c) -> CustomerHistory:
    return CustomerHistory.objects.filter(customer=c, source=HistorySource.DMS_SYNC).order_by("-created_at", "-pk")[0]


def state(c):
    c = Customer.objects.get(pk=c.pk)
    methods = sorted(ContactMethod.objects.filter(customer=c).values_list("method", "is_on", "reason_id"))
    return model_to_dict(c), c.version, methods, CustomerHistory.objects.filter(customer=c).count()


def history_panel(client_for, user, c) -> str:
    response = client_for(user).get(reverse("customers:edit", args=[c.pk]))
    assert response.status_code == 200
    return response.content.decode()


def correct_last_name(c, value, actor):
    customer_update(customer=c, data={"last_name": value}, actor=actor, expected_version=c.version)
    c.refresh_from_db()


# --- (a) a field the DMS did not change keeps the coordinator's value ---------------------------------------------


@pytest.mark.django_db
def test_a_correction_stays_when_a_newer_dms_row_changes_only_another_field_and_goes_when_the_dms_changes_it(
    night, days, coordinator
):
    night(customer_row("5001", last_name="Smith", last_change_date=days(-10)))
    c = customer("5001")
    correct_last_name(c, "Smyth", coordinator)
    assert c.dms_base == {"last_name": "Smith"}
    version = c.version

    # The next night the DMS changes only the language, with a newer date; its row still carries the old name.
    night(customer_row("5001", last_name="Smith", language="fr", last_change_date=days(1)))
    c.refresh_from_db()
    assert (c.last_name, c.language) == ("Smyth", "fr")
    assert c.version == version + 1
    assert last_dms_entry(c).changes == [{"field": "language", "old": "", "new": "fr"}]
    assert c.dms_base == {"last_name": "Smith"}

    # Later the DMS genuinely changes the last name, dated after the correction: the DMS's change is the later.
    night(customer_row("5001", last_name="Smithe", language="fr", last_change_date=days(2)))
    c.refresh_from_db()
    assert c.last_name == "Smithe"
    assert last_dms_entry(c).changes == [{"field": "last_name", "old": "Smyth", "new": "Smithe", "conflict": "dms"}]
    assert c.dms_base == {}


# --- (b) both changed it, the coordinator later ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("row_day", [-1, 0], ids=["dms-row-yesterday", "dms-row-the-day-of-the-edit"])
def test_a_dms_change_dated_before_the_coordinators_edit_keeps_the_coordinators_value_as_a_resolved_conflict(
    night, days, coordinator, client_for, row_day
):
    night(customer_row("5101", last_name="Smith", last_change_date=days(-10)))
    c = customer("5101")
    correct_last_name(c, "Smyth", coordinator)

    run = night(customer_row("5101", last_name="Smithe", last_change_date=days(row_day)))

    c.refresh_from_db()
    assert c.last_name == "Smyth"
    assert c.dms_base == {"last_name": "Smithe"}  # what the DMS sent is the base now
    assert last_dms_entry(c).changes == [
        {"field": "last_name", "old": "Smyth", "new": "Smyth", "conflict": "person", "other": "Smithe"}
    ]
    assert any("kept a user's newer edit" in w for w in run.warnings)
    html = history_panel(client_for, coordinator, c)
    assert "Conflict resolved" in html and "the DMS sent Smithe" in html

    before = state(c)
    again = night()
    assert (again.updated, again.created) == (0, 0)
    assert state(c) == before


# --- (c) a merge fill counts as a person's edit --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("row_day", [-1, 1], ids=["dms-row-before-the-merge", "dms-row-after-the-merge"])
def test_a_value_filled_from_a_child_on_merge_stays_while_the_dms_still_sends_the_field_empty(
    night, days, coordinator, row_day
):
    child_row = customer_row("6002", first_name="Annie", email2="annie@mail.example.com", last_change_date=days(-10))
    night(customer_row("6001", email2="", last_change_date=days(-10)), child_row)
    parent, child = customer("6001"), customer("6002")
    customer_merge(
        parent=parent,
        children=[child],
        relationships={child.pk: Relationship.DUPLICATE},
        fill_fields={"email2": child.pk},
        apply_turn_offs=[],
        actor=coordinator,
    )
    parent.refresh_from_db()
    assert parent.email2 == "annie@mail.example.com"
    assert parent.dms_base == {"email2": ""}

    night(customer_row("6001", email2="", city="Newtown", last_change_date=days(row_day)), child_row)

    parent.refresh_from_db()
    assert parent.email2 == "annie@mail.example.com"
    assert parent.city == "Newtown"  # the row's own change is applied
    assert [c["field"] for c in last_dms_entry(parent).changes] == ["city"]


# --- (d) a removed value is not re-added to any field of its family -------------------------------------------------


@pytest.mark.django_db
def test_a_number_removed_from_cell_is_not_re_added_when_the_dms_sends_it_as_work_formatted_differently(
    night, days, coordinator
):
    night(customer_row("7001", cell_phone="(313) 555-0142", work_phone="", last_change_date=days(-10)))
    c = customer("7001")
    assert c.cell_phone == "+13135550142"
    customer_value_remove(customer=c, field="cell_phone", actor=coordinator)

    run = night(
        customer_row("7001", cell_phone="", work_phone="313.555.0142", city="Newtown", last_change_date=days(1))
    )

    c.refresh_from_db()
    assert (c.cell_phone, c.work_phone, c.city) == ("", "", "Newtown")
    assert "1 suppressed value(s) were not re-added." in run.warnings
    assert [ch["field"] for ch in last_dms_entry(c).changes] == ["city"]
    # The DMS keeps sending it, with other changes: still out.
    night(customer_row("7001", cell_phone="", work_phone="+1 313 555 0142", city="Oldtown", last_change_date=days(2)))
    c.refresh_from_db()
    assert (c.cell_phone, c.work_phone, c.city) == ("", "", "Oldtown")


@pytest.mark.django_db
def test_an_email_removed_from_email_1_is_not_re_added_when_the_dms_sends_it_as_email_2_upper_cased(
    night, days, coordinator
):
    night(customer_row("7101", email1="ann.smith@example.com", email2="", last_change_date=days(-10)))
    c = customer("7101")
    customer_value_remove(customer=c, field="email1", actor=coordinator)

    run = night(
        customer_row("7101", email1="", email2="ANN.SMITH@EXAMPLE.COM", city="Newtown", last_change_date=days(1))
    )

    c.refresh_from_db()
    assert (c.email1, c.email2, c.city) == ("", "", "Newtown")
    assert "1 suppressed value(s) were not re-added." in run.warnings
    before = state(c)
    assert night().updated == 0
    assert state(c) == before


# --- (e) the allow_* flags follow the same rule ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("final_day", "stays_on", "winner"),
    [(4, False, "dms"), (0, True, "person")],
    ids=["dms-n-after-the-switch", "dms-n-on-the-day-of-the-switch"],
)
def test_a_method_a_coordinator_turned_back_on_stays_on_until_the_dms_flag_changes_again(
    night, days, coordinator, client_for, final_day, stays_on, winner
):
    night(customer_row("8101", allow_email="N", last_change_date=days(-10)))
    c = customer("8101")
    dms_reason = TurnOffReason.objects.get(dealership=None, code="DMS")
    assert ContactMethod.objects.filter(customer=c, method="email", is_on=False, reason=dms_reason).exists()
    assert c.dms_base == {"allow_email": False}
    contact_method_switch(customer=c, method="email", is_on=True, actor=coordinator)

    def email_on():
        return ContactMethod.objects.get(customer=c, method="email").is_on

    # The DMS keeps sending N, with other changes and newer dates: the coordinator's switch stands.
    night(customer_row("8101", allow_email="N", city="Newtown", last_change_date=days(1)))
    night(customer_row("8101", allow_email="N", city="Oldtown", last_change_date=days(2)))
    c.refresh_from_db()
    assert email_on() and c.city == "Oldtown"
    assert c.dms_base == {"allow_email": False}

    # The DMS turns it on itself, then off again: that N is news.
    night(customer_row("8101", allow_email="Y", city="Newtown", last_change_date=days(3)))
    c.refresh_from_db()
    assert email_on() and c.dms_base == {}
    night(customer_row("8101", allow_email="N", city="Newtown", last_change_date=days(final_day)))

    c.refresh_from_db()
    assert email_on() is stays_on
    assert c.dms_base == {"allow_email": False}
    (change,) = [ch for ch in last_dms_entry(c).changes if ch["field"] == "contact_method:email"]
    assert change["conflict"] == winner
    on, off = {"on": True, "reason": None}, {"on": False, "reason": dms_reason.pk}
    if winner == "dms":
        assert (change["old"], change["new"]) == (on, off)
    else:
        assert (change["old"], change["new"], change["other"]) == (on, on, off)
    assert "Conflict resolved" in history_panel(client_for, coordinator, c)


# --- (f) existing files: migration 0010 takes today's values as the base -----------------------------------------

BEFORE = [("customers", "0009_history_raw_values"), ("contacts", "0003_turnoffevent_moved_to_customers")]
AFTER = ("customers", "0010_dms_base")


@pytest.fixture
def before_0010(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_0010_gives_edited_fields_and_methods_the_dms_turned_off_a_base_entry(before_0010):
    apps = before_0010
    Dealership = apps.get_model("customers", "Dealership")
    Customer = apps.get_model("customers", "Customer")
    TurnOffReason = apps.get_model("customers", "TurnOffReason")
    ContactMethod = apps.get_model("contacts", "ContactMethod")
    store = Dealership.objects.create(code="mig", name="Migrated store", country="US")
    dms = TurnOffReason.objects.create(code="DMS", label="Turned off in the DMS", applies_to_contact_method=True)
    moved = TurnOffReason.objects.create(code="MOV", label="Moved", applies_to_contact_method=True)
    stamp = "2026-11-01T10:00:00+00:00"
    edited = Customer.objects.create(
        dealership=store,
        dealermine_number=1,
        dms_number="D1",
        last_name="Tremblay-Roy",
        birth_date="1980-05-06",
        labour_sales_total="1234.50",
        user_edited_at={"last_name": stamp, "birth_date": stamp, "labour_sales_total": stamp, "is_fleet": stamp},
    )
    for method, reason in (("email", dms), ("cell_phone", dms), ("mail", moved)):
        ContactMethod.objects.create(customer=edited, method=method, is_on=False, reason=reason)
    local = Customer.objects.create(  # no DMS number: no DMS base to keep
        dealership=store, dealermine_number=2, last_name="Local", user_edited_at={"last_name": stamp}
    )
    ContactMethod.objects.create(customer=local, method="email", is_on=False, reason=dms)
    untouched = Customer.objects.create(dealership=store, dealermine_number=3, dms_number="D3", last_name="Same")
    ContactMethod.objects.create(customer=untouched, method="mail", is_on=False, reason=moved)
    ContactMethod.objects.create(customer=untouched, method="email", is_on=True, reason=None)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    migrated = executor.loader.project_state([AFTER]).apps.get_model("customers", "Customer")

    assert migrated.objects.get(pk=edited.pk).dms_base == {
        "last_name": "Tremblay-Roy",
        "birth_date": "1980-05-06",
        "labour_sales_total": "1234.50",
        "allow_email": False,
        "allow_phone": False,
    }
    assert migrated.objects.get(pk=local.pk).dms_base == {}
    assert migrated.objects.get(pk=untouched.pk).dms_base == {}
