"""Customer Information services: one test per rule."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.rules import email_is_red
from contacts.services.method_screen import contact_method_set, customer_preferred_method_set
from customers.models import Association, Customer, CustomerHistory, CustomerStatus, TurnOffEvent, VehicleContactType
from customers.services.associations import association_add, association_remove
from customers.services.customer import (
    CustomerConflict,
    customer_snapshot,
    customer_update,
    customer_verify,
)
from customers.services.vin_contact_types import vin_contact_type_set
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory
from tests.customers.factories import (
    CustomerFactory,
    ServiceAdvisorFactory,
    TurnOffReasonFactory,
    UserFactory,
    VehicleFactory,
)
from tests.support.history import shown


@pytest.fixture
def actor(db):
    return UserFactory(username="actor", first_name="Ann", last_name="Actor")


def update(customer, actor, **data):
    return customer_update(customer=customer, data=data, actor=actor, expected_version=customer.version)


# --- customer_update ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_update_writes_one_history_entry_listing_every_changed_field(us_customer, actor):
    us_customer.refresh_from_db()
    old_cell = us_customer.cell_phone
    update(us_customer, actor, first_name="Zed", cell_phone="313-555-0142", is_fleet=True, language="fr")
    entry = CustomerHistory.objects.get(customer=us_customer)
    assert entry.actor == actor and entry.source == "user" and entry.action == "update"
    raw = {c["field"]: c for c in entry.changes}
    assert set(raw) == {"first_name", "cell_phone", "is_fleet", "language"}
    # Stored raw (the audit log keeps data), shown through the field registry.
    assert raw["cell_phone"] == {"field": "cell_phone", "old": old_cell, "new": "+13135550142"}
    assert raw["is_fleet"] == {"field": "is_fleet", "old": False, "new": True}
    by_field = shown(entry)
    assert by_field["cell_phone"]["label"] == "Cell"
    assert by_field["cell_phone"]["old"] == f"({old_cell[2:5]}) {old_cell[5:8]}-{old_cell[8:]}"
    assert by_field["cell_phone"]["new"] == "(313) 555-0142"
    assert by_field["is_fleet"] == {"label": "Fleet", "old": "No", "new": "Yes"}
    assert by_field["language"]["new"] == "French"


@pytest.mark.django_db
def test_update_with_nothing_changed_writes_nothing_and_keeps_the_version(us_customer, actor):
    us_customer.refresh_from_db()
    update(us_customer, actor, first_name=us_customer.first_name, cell_phone=us_customer.cell_phone)
    assert not CustomerHistory.objects.exists()
    assert Customer.objects.get(pk=us_customer.pk).version == 1


@pytest.mark.django_db
def test_update_bumps_the_version_and_records_user_edited_at(us_customer, actor):
    us_customer.refresh_from_db()
    result = update(us_customer, actor, city="Flint", address1="1 Main St")
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.version == 2 == result.version == us_customer.version
    assert set(stored.user_edited_at) == {"city", "address1"}
    assert stored.user_edited_at["city"].startswith(str(timezone.now().year))


@pytest.mark.django_db
def test_stale_version_raises_conflict_naming_changed_fields_and_overwrites_nothing(us_customer, actor):
    us_customer.refresh_from_db()
    mine = Customer.objects.get(pk=us_customer.pk)  # loaded by me at version 1
    theirs = Customer.objects.get(pk=us_customer.pk)
    update(theirs, actor, city="Lansing", cell_phone="3135550160")
    with pytest.raises(CustomerConflict) as exc:
        customer_update(customer=mine, data={"last_name": "Mine"}, actor=actor, expected_version=1)
    conflict = exc.value
    assert {(c["label"], c["new"]) for c in conflict.changes} == {("City", "Lansing"), ("Cell", "(313) 555-0160")}
    assert "City is now “Lansing”" in conflict.message and "Ann Actor" in conflict.message
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.last_name != "Mine" and stored.version == 2
    assert CustomerHistory.objects.count() == 1


@pytest.mark.django_db
def test_conflict_compares_with_the_snapshot_the_form_carried(us_customer, actor):
    us_customer.refresh_from_db()
    snapshot = customer_snapshot(us_customer)
    update(Customer.objects.get(pk=us_customer.pk), actor, email1="new@example.com")
    fresh = Customer.objects.get(pk=us_customer.pk)
    with pytest.raises(CustomerConflict) as exc:
        customer_update(customer=fresh, data={"city": "X"}, actor=actor, expected_version=1, original=snapshot)
    assert [c["field"] for c in exc.value.changes] == ["email1"]


@pytest.mark.django_db
def test_phones_normalize_with_the_store_country_and_emails_lower_case(ca_customer, actor):
    ca_customer.refresh_from_db()
    update(ca_customer, actor, home_phone="416 555 0199", email2="  Mixed@Case.CA ")
    ca_customer.refresh_from_db()
    assert ca_customer.home_phone == "+14165550199"
    assert ca_customer.email2 == "mixed@case.ca"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"home_phone": "12"}, "home_phone"),
        ({"email1": "a@b"}, "email1"),
        ({"default_email": True, "email1": ""}, "email1"),
        ({"birth_date": date.today() + timedelta(days=1)}, "birth_date"),
        ({"birth_date": date(1899, 12, 31)}, "birth_date"),
        ({"twitter_handle": "sixteen_chars_xx"}, "twitter_handle"),
        ({"twitter_handle": "bad-dash"}, "twitter_handle"),
        ({"postal_code": "12"}, "postal_code"),
        ({"status": "inactive"}, "inactive_reason"),
        ({"language": "klingon"}, "language"),
    ],
)
def test_invalid_data_raises_a_field_error_and_saves_nothing(us_customer, actor, data, field):
    us_customer.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        update(us_customer, actor, **data)
    assert field in exc.value.message_dict
    assert Customer.objects.get(pk=us_customer.pk).version == 1
    assert not CustomerHistory.objects.exists()


@pytest.mark.django_db
def test_default_email_with_an_existing_email_saves(us_customer, actor):
    us_customer.refresh_from_db()
    update(us_customer, actor, default_email=True)
    assert Customer.objects.get(pk=us_customer.pk).default_email is True


@pytest.mark.django_db
def test_twitter_handle_strips_the_at_sign(us_customer, actor):
    us_customer.refresh_from_db()
    update(us_customer, actor, twitter_handle="@Dealer_Fan1")
    assert Customer.objects.get(pk=us_customer.pk).twitter_handle == "Dealer_Fan1"


@pytest.mark.django_db
def test_canadian_postal_code_normalized_on_save(ca_customer, actor):
    ca_customer.refresh_from_db()
    update(ca_customer, actor, postal_code="k1a-0b1")
    assert Customer.objects.get(pk=ca_customer.pk).postal_code == "K1A 0B1"


@pytest.mark.django_db
def test_advisor_of_another_store_or_inactive_is_refused(us_customer, ca_store, actor):
    us_customer.refresh_from_db()
    for advisor in (
        ServiceAdvisorFactory(dealership=ca_store),
        ServiceAdvisorFactory(dealership=us_customer.dealership, is_active=False),
    ):
        with pytest.raises(ValidationError) as exc:
            update(us_customer, actor, preferred_advisor=advisor)
        assert "preferred_advisor" in exc.value.message_dict


# --- status -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_inactivation_needs_an_active_status_reason_of_the_store_or_global(us_customer, ca_store, actor):
    us_customer.refresh_from_db()
    refused = [
        TurnOffReasonFactory(dealership=us_customer.dealership, is_active=False),
        TurnOffReasonFactory(dealership=us_customer.dealership, applies_to_status=False),
        TurnOffReasonFactory(dealership=ca_store),
    ]
    for reason in refused:
        with pytest.raises(ValidationError):
            update(us_customer, actor, status="inactive", inactive_reason=reason)
    reason = TurnOffReasonFactory(dealership=None, label="Deceased")
    update(us_customer, actor, status="inactive", inactive_reason=reason)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.status == CustomerStatus.INACTIVE and stored.inactive_reason == reason
    assert stored.inactivated_by == actor and stored.inactivated_at is not None
    event = TurnOffEvent.objects.get(customer=us_customer)
    assert (event.target, event.is_on, event.reason) == ("status", False, reason)
    changes = shown(CustomerHistory.objects.get())
    assert changes["status"]["new"] == "Inactive" and changes["inactive_reason"]["new"] == "Deceased"


@pytest.mark.django_db
def test_reactivation_is_recorded_and_clears_the_reason(us_customer, actor):
    reason = TurnOffReasonFactory(dealership=None)
    us_customer.refresh_from_db()
    update(us_customer, actor, status="inactive", inactive_reason=reason)
    reason.is_active = False  # a code retired later does not block keeping or leaving the state
    reason.save()
    customer = Customer.objects.get(pk=us_customer.pk)
    update(customer, actor, first_name="Still", status="inactive", inactive_reason=reason)
    customer = Customer.objects.get(pk=us_customer.pk)
    update(customer, actor, status="active", inactive_reason=None)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.status == "active" and stored.inactive_reason is None and stored.inactivated_at is None
    assert TurnOffEvent.objects.filter(customer=us_customer, target="status", is_on=True).exists()
    newest = CustomerHistory.objects.filter(customer=us_customer).first()
    assert shown(newest)["status"]["new"] == "Active"


# --- verify -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_stamps_who_and_when_and_clears_the_red_email_flag(us_customer, actor):
    bounce = EmailBounceFactory(
        dealership=us_customer.dealership, email=us_customer.email1, bounced_at=timezone.now() - timedelta(days=3)
    )
    now = timezone.now()
    assert email_is_red(last_bounced_at=bounce.bounced_at, last_verified_at=None, now=now)
    stamp = customer_verify(customer=us_customer, actor=actor)
    assert stamp.verified_by == actor and abs((stamp.verified_at - now).total_seconds()) < 5
    assert not email_is_red(last_bounced_at=bounce.bounced_at, last_verified_at=stamp.verified_at, now=timezone.now())
    assert CustomerHistory.objects.get(customer=us_customer).action == "verify"


# --- contact methods -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_method_off_needs_an_active_method_reason(us_customer, actor):
    status_only = TurnOffReasonFactory(dealership=None, applies_to_contact_method=False)
    inactive = TurnOffReasonFactory(dealership=None, is_active=False)
    for reason in (None, status_only, inactive):
        with pytest.raises(ValidationError):
            contact_method_set(customer=us_customer, method="email", is_on=False, reason=reason, actor=actor)
    assert not ContactMethod.objects.exists()


@pytest.mark.django_db
def test_contact_method_change_writes_turn_off_event_and_history_and_clears_preference(us_customer, actor):
    reason = TurnOffReasonFactory(dealership=us_customer.dealership, label="Asked not to")
    customer_preferred_method_set(customer=us_customer, method="cell_phone", actor=actor)
    contact_method_set(customer=us_customer, method="cell_phone", is_on=False, reason=reason, actor=actor)
    row = ContactMethod.objects.get(customer=us_customer, method="cell_phone")
    assert not row.is_on and row.reason == reason and row.changed_by == actor
    event = TurnOffEvent.objects.get(customer=us_customer, target="contact_method")
    assert (event.code, event.is_on, event.reason) == ("cell_phone", False, reason)
    entry = CustomerHistory.objects.filter(customer=us_customer, action="contact_method").get()
    assert entry.changes[0] == {
        "field": "contact_method:cell_phone",
        "old": {"on": True, "reason": None},
        "new": {"on": False, "reason": reason.pk},
    }
    assert shown(entry)["contact_method:cell_phone"] == {
        "label": "Cell Phone",
        "old": "On",
        "new": "Off (Asked not to)",
    }
    assert Customer.objects.get(pk=us_customer.pk).preferred_contact_method == ""
    # Same state again: nothing new.
    contact_method_set(customer=us_customer, method="cell_phone", is_on=False, reason=reason, actor=actor)
    assert TurnOffEvent.objects.filter(customer=us_customer).count() == 1
    contact_method_set(customer=us_customer, method="cell_phone", is_on=True, actor=actor)
    assert ContactMethod.objects.get(customer=us_customer, method="cell_phone").is_on
    assert TurnOffEvent.objects.filter(customer=us_customer, is_on=True).count() == 1


@pytest.mark.django_db
def test_preferred_method_must_be_on(us_customer, actor):
    ContactMethodFactory(customer=us_customer, method="email", is_on=False)
    with pytest.raises(ValidationError):
        customer_preferred_method_set(customer=us_customer, method="email", actor=actor)
    customer_preferred_method_set(customer=us_customer, method="mail", actor=actor)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.preferred_contact_method == "mail" and stored.version == 2
    assert shown(CustomerHistory.objects.get(action="preferred_method"))["preferred_contact_method"]["new"] == (
        "Mailing Address"
    )


@pytest.mark.django_db
def test_duplicate_child_methods_cannot_change(us_customer, actor):
    parent = CustomerFactory(dealership=us_customer.dealership)
    Customer.objects.filter(pk=us_customer.pk).update(merge_parent=parent, merge_relationship="duplicate")
    child = Customer.objects.get(pk=us_customer.pk)
    reason = TurnOffReasonFactory(dealership=None)
    with pytest.raises(ValidationError):
        contact_method_set(customer=child, method="email", is_on=False, reason=reason, actor=actor)
    with pytest.raises(ValidationError):
        customer_preferred_method_set(customer=child, method="email", actor=actor)


# --- VIN contact types ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_vin_type_off_needs_a_vin_reason_and_keeps_the_comment(us_customer, actor):
    vehicle = VehicleFactory(customer=us_customer)
    wrong = TurnOffReasonFactory(dealership=None, applies_to_vin_contact_type=False)
    for reason in (None, wrong):
        with pytest.raises(ValidationError):
            vin_contact_type_set(vehicle=vehicle, contact_type="recalls", is_on=False, reason=reason, actor=actor)
    reason = TurnOffReasonFactory(dealership=None, label="Uses another shop")
    vin_contact_type_set(
        vehicle=vehicle, contact_type="recalls", is_on=False, reason=reason, comment="Call in spring", actor=actor
    )
    row = VehicleContactType.objects.get(vehicle=vehicle, contact_type="recalls")
    assert (row.is_on, row.reason, row.comment, row.changed_by) == (False, reason, "Call in spring", actor)
    event = TurnOffEvent.objects.get(vehicle=vehicle)
    assert (event.target, event.code, event.comment) == ("vin_contact_type", "recalls", "Call in spring")
    entry = CustomerHistory.objects.get(customer=us_customer)
    assert shown(entry)[f"vin:{vehicle.vin}:recalls"]["label"] == f"{vehicle.vin} Recalls"
    vin_contact_type_set(vehicle=vehicle, contact_type="recalls", is_on=True, actor=actor)
    row.refresh_from_db()
    assert row.is_on and row.reason is None


@pytest.mark.django_db
def test_owns_off_marks_sold_and_back_on(us_customer, actor):
    vehicle = VehicleFactory(customer=us_customer)
    reason = TurnOffReasonFactory(dealership=None)
    vin_contact_type_set(vehicle=vehicle, contact_type="owns", is_on=False, reason=reason, actor=actor)
    vehicle.refresh_from_db()
    assert not vehicle.owns and vehicle.owns_reason == reason
    vin_contact_type_set(vehicle=vehicle, contact_type="owns", is_on=True, actor=actor)
    vehicle.refresh_from_db()
    assert vehicle.owns and vehicle.owns_reason is None
    assert TurnOffEvent.objects.filter(vehicle=vehicle, code="owns").count() == 2


# --- associations -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_association_add_and_remove_write_both_histories(us_customer, actor):
    other = CustomerFactory(dealership=us_customer.dealership)
    association = association_add(customer=us_customer, other=other, relationship="family", note="Son", actor=actor)
    assert association.created_by == actor
    assert CustomerHistory.objects.filter(action="association_add").count() == 2
    with pytest.raises(ValidationError):
        association_add(customer=other, other=us_customer, relationship="friend", actor=actor)
    association_remove(association=association, actor=actor)
    assert not Association.objects.exists()
    assert set(CustomerHistory.objects.filter(action="association_remove").values_list("customer", flat=True)) == {
        us_customer.pk,
        other.pk,
    }


@pytest.mark.django_db
def test_association_rules(us_customer, ca_customer, actor):
    with pytest.raises(ValidationError):
        association_add(customer=us_customer, other=us_customer, relationship="friend", actor=actor)
    with pytest.raises(ValidationError):
        association_add(customer=us_customer, other=ca_customer, relationship="friend", actor=actor)
    other = CustomerFactory(dealership=us_customer.dealership)
    with pytest.raises(ValidationError):
        association_add(customer=us_customer, other=other, relationship="duplicate", actor=actor)


@pytest.mark.django_db
def test_new_reason_for_an_inactive_customer_keeps_the_inactivation_date(us_customer, actor):
    first = TurnOffReasonFactory(dealership=None, label="Moved")
    second = TurnOffReasonFactory(dealership=None, label="Deceased")
    us_customer.refresh_from_db()
    update(us_customer, actor, status="inactive", inactive_reason=first)
    since = Customer.objects.get(pk=us_customer.pk).inactivated_at
    update(Customer.objects.get(pk=us_customer.pk), actor, status="inactive", inactive_reason=second)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.inactive_reason == second and stored.inactivated_at == since
    assert list(TurnOffEvent.objects.filter(customer=us_customer).values_list("reason__label", flat=True)) == [
        "Deceased",
        "Moved",
    ]
