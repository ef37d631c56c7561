"""New customer, the services: numbers, kinds, the Created history, Default Email, the identity check and its
reasons, "create anyway", the one-time token, contact methods at creation and the do-not-call hook."""

import uuid

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from contacts.models import ContactMethod
from contacts.services.do_not_call import do_not_call_add
from customers.models import (
    AuditAction,
    Customer,
    CustomerCreation,
    CustomerHistory,
    CustomerKind,
    Dealership,
    Relationship,
    TurnOffEvent,
)
from customers.selectors.history import history_rows
from customers.selectors.identity import (
    do_not_call_list_exists,
    do_not_call_lookup_register,
    do_not_call_lookup_unregister,
)
from customers.services.create import PossibleDuplicates, customer_create, customer_new_clean
from customers.services.new_customer import new_customer_save
from dms_sync.models import RemoveRequest
from tests.customers.factories import CustomerFactory, TurnOffReasonFactory

pytestmark = pytest.mark.django_db


def person(**values):
    data = {"kind": CustomerKind.PERSON, "first_name": "Nora", "last_name": "Newcomer", "status": "active"}
    data.update(values)
    return data


def create(store, user, data, **kwargs):
    kwargs.setdefault("token", uuid.uuid4())
    return customer_create(dealership=store, data=data, actor=user, **kwargs)


def created_entry(customer) -> CustomerHistory:
    entries = list(CustomerHistory.objects.filter(customer=customer))
    assert len(entries) == 1
    return entries[0]


def changes(entry) -> dict:
    return {c["field"]: c["new"] for c in entry.changes}


# --- numbers, kinds, who, history ---------------------------------------------------------------------------------


def test_a_new_file_takes_the_stores_next_numbers_in_order(us_store, us_coordinator):
    assert us_store.next_dealermine_number == 100001
    first = create(us_store, us_coordinator, person(cell_phone="(313) 555-0170")).customer
    second = create(us_store, us_coordinator, person(last_name="Other", cell_phone="(313) 555-0171")).customer
    assert (first.dealermine_number, second.dealermine_number) == (100001, 100002)
    assert Dealership.objects.get(pk=us_store.pk).next_dealermine_number == 100003


def test_a_number_already_on_file_is_never_handed_out_again(us_store, us_coordinator):
    CustomerFactory(dealership=us_store, dealermine_number=100007)
    customer = create(us_store, us_coordinator, person(cell_phone="(313) 555-0172")).customer
    assert customer.dealermine_number == 100008
    assert Dealership.objects.get(pk=us_store.pk).next_dealermine_number == 100009


def test_another_stores_numbers_do_not_count(us_store, ca_store, coordinator):
    CustomerFactory(dealership=ca_store, dealermine_number=200000)
    assert create(us_store, coordinator, person(cell_phone="(313) 555-0173")).customer.dealermine_number == 100001


def test_a_prospect_shows_its_number_with_4_and_who_entered_it(us_store, us_coordinator):
    us_coordinator.first_name, us_coordinator.last_name = "Casey", "Morgan"
    us_coordinator.save()
    customer = create(us_store, us_coordinator, person(kind=CustomerKind.PROSPECT, cell_phone="3135550174")).customer
    customer.refresh_from_db()
    assert customer.is_prospect
    assert customer.dealermine_number_display == f"{customer.dealermine_number}-4"
    assert customer.entered_by == us_coordinator and customer.entered_by_name == "Casey Morgan"
    assert customer.dms_number == "" and customer.dms_base == {} and customer.user_edited_at == {}
    assert not RemoveRequest.objects.filter(customer=customer).exists()


def test_a_business_needs_its_company_name_and_a_person_a_last_name(us_store, us_coordinator):
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person(kind=CustomerKind.BUSINESS, cell_phone="3135550175"))
    assert "Enter the company name of a business." in error.value.message_dict["other_name"]
    business = create(
        us_store,
        us_coordinator,
        {"kind": CustomerKind.BUSINESS, "other_name": "Acme Fleet", "work_phone": "313 555 0175", "status": "active"},
    ).customer
    assert business.kind == CustomerKind.BUSINESS and business.display_name == "Acme Fleet"
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person(last_name="", cell_phone="3135550176"))
    assert error.value.message_dict["last_name"] == ["Enter the last name of a person."]
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person(kind="alien", cell_phone="3135550176"))
    assert "kind" in error.value.message_dict


def test_a_new_file_needs_a_way_to_reach_the_customer(us_store):
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person())
    assert "a phone, an email or a mailing address" in error.value.message_dict[NON_FIELD_ERRORS][0]
    assert customer_new_clean(dealership=us_store, data=person(address1="1 Main St"))["address1"] == "1 Main St"


def test_the_history_starts_with_created_by_the_user_with_raw_values(us_store, us_coordinator):
    customer = create(
        us_store,
        us_coordinator,
        person(cell_phone="(313) 555-0177", email1="Nora@Mail.Example.com", default_email=True, is_fleet=False),
    ).customer
    entry = created_entry(customer)
    assert (entry.action, entry.actor, entry.source) == (AuditAction.CREATE, us_coordinator, "user")
    new = changes(entry)
    assert new["cell_phone"] == "+13135550177" and new["email1"] == "nora@mail.example.com"
    assert new["kind"] == "person" and new["default_email"] is True and new["last_name"] == "Newcomer"
    assert "status" not in new and "is_fleet" not in new  # defaults are not listed
    assert "Created on the New customer screen." in entry.note
    row = history_rows([entry])[0]
    assert row.action_label == "Created"
    labels = {c.label: c.new for c in row.changes}
    assert labels["Cell"] == "(313) 555-0177" and labels["Customer Type"] == "Person"


def test_validation_and_normalization_are_customer_informations(ca_store, coordinator):
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=ca_store, data=person(home_phone="555", twitter_handle="bad handle!"))
    assert error.value.message_dict["home_phone"] == ["Enter a valid phone number, e.g. (416) 555-0123."]
    assert "twitter_handle" in error.value.message_dict
    customer = create(ca_store, coordinator, person(cell_phone="416.555.0178", postal_code="m5v-3l9")).customer
    assert (customer.cell_phone, customer.postal_code) == ("+14165550178", "M5V 3L9")


def test_a_customer_created_inactive_has_its_reason_stamp_and_turn_off_history(us_store, us_coordinator):
    reason = TurnOffReasonFactory(dealership=us_store, code="MOVED", label="Moved away")
    customer = create(
        us_store, us_coordinator, person(cell_phone="3135550179", status="inactive", inactive_reason=reason)
    ).customer
    assert customer.inactive_reason == reason and customer.inactivated_by == us_coordinator
    assert TurnOffEvent.objects.filter(customer=customer, code="status", is_on=False, reason=reason).exists()
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person(cell_phone="3135550179", status="inactive"))
    assert "inactive_reason" in error.value.message_dict


# --- Default Email ------------------------------------------------------------------------------------------------


def test_default_email_checked_requires_email_1_with_a_clear_message(us_store, us_coordinator):
    with pytest.raises(ValidationError) as error:
        create(us_store, us_coordinator, person(cell_phone="3135550180", default_email=True, email2="b@example.com"))
    assert error.value.message_dict["email1"] == [
        "Email 1 is required when Default Email is checked (or uncheck Default Email)."
    ]
    assert not Customer.objects.filter(dealership=us_store).exists()
    saved = create(
        us_store, us_coordinator, person(cell_phone="3135550180", default_email=True, email1="a@example.com")
    )
    assert saved.customer.default_email and saved.customer.email1 == "a@example.com"


def test_default_email_unchecked_saves_without_an_email(us_store, us_coordinator):
    customer = create(us_store, us_coordinator, person(cell_phone="3135550181", default_email=False)).customer
    assert customer.email1 == "" and customer.email2 == "" and not customer.default_email


# --- the identity check ------------------------------------------------------------------------------------------


def possible(store, user, data, **kwargs) -> PossibleDuplicates:
    with pytest.raises(PossibleDuplicates) as found:
        create(store, user, data, **kwargs)
    return found.value


def reasons_by_pk(found: PossibleDuplicates) -> dict[int, list[str]]:
    return {m.customer.pk: m.reasons for m in found.matches}


def test_the_identity_check_gives_the_reason_of_each_match(us_store, ca_store, coordinator):
    by_phone = CustomerFactory(dealership=us_store, work_phone="+13135550190", cell_phone="")
    by_email = CustomerFactory(dealership=us_store, email1="", email2="NORA@mail.example.com", cell_phone="")
    by_name = CustomerFactory(dealership=us_store, first_name="Norma", last_name="NEWCOMER", postal_code="48226")
    CustomerFactory(dealership=us_store, first_name="Norma", last_name="Newcomer", postal_code="48201")
    CustomerFactory(dealership=ca_store, cell_phone="+13135550190")  # another store: never listed
    found = possible(
        us_store,
        coordinator,
        person(cell_phone="(313) 555-0190", email1="nora@mail.example.com", postal_code="48226"),
    )
    assert reasons_by_pk(found) == {
        by_phone.pk: ["Same phone (313) 555-0190 (work)"],
        by_email.pk: ["Same email (nora@mail.example.com)"],
        by_name.pk: ["Same last name, first initial and postal code"],
    }
    assert found.unconfirmed == {by_phone.pk, by_email.pk, by_name.pk}
    assert not Customer.objects.filter(last_name="Newcomer", dealership=us_store).exclude(postal_code="48201").exists()
    assert Dealership.objects.get(pk=us_store.pk).next_dealermine_number == 100001  # nothing taken


def test_the_identity_check_matches_a_dms_number_that_was_searched(us_store, us_coordinator):
    dms = CustomerFactory(dealership=us_store, dms_number="A7731", cell_phone="")
    found = possible(us_store, us_coordinator, person(cell_phone="3135550191"), searched_dms_number="A7731")
    assert reasons_by_pk(found) == {dms.pk: ["Same DMS number (A7731)"]}


def test_a_merged_duplicate_file_is_listed_and_opens_its_parent(us_store, us_coordinator):
    parent = CustomerFactory(dealership=us_store, cell_phone="+13135550192")
    child = CustomerFactory(
        dealership=us_store,
        cell_phone="+13135550193",
        merge_parent=parent,
        merge_relationship=Relationship.DUPLICATE,
    )
    found = possible(us_store, us_coordinator, person(cell_phone="3135550193"))
    [match] = found.matches
    assert match.customer.pk == child.pk and match.family_head.pk == parent.pk


def test_create_anyway_is_recorded_in_the_new_files_history(us_store, us_coordinator):
    other = CustomerFactory(dealership=us_store, first_name="Nadia", cell_phone="+13135550194")
    data = person(cell_phone="313-555-0194")
    found = possible(us_store, us_coordinator, data)
    result = create(us_store, us_coordinator, data, confirmed={m.customer.pk for m in found.matches})
    assert result.created and [m.customer.pk for m in result.created_anyway] == [other.pk]
    entry = created_entry(result.customer)
    link = changes(entry)["possible_duplicate"]
    assert link["customer"] == other.pk and f"DealerMine # {other.dealermine_number}" in link["name"]
    assert "Created anyway beside the possible existing files" in entry.note
    assert "Same phone (313) 555-0194 (cell)" in entry.note
    row = history_rows([entry])[0]
    assert any(c.label == "Created anyway beside" and other.last_name in c.new for c in row.changes)


def test_a_file_that_matches_after_the_confirmation_stops_the_save_again(us_store, us_coordinator):
    first = CustomerFactory(dealership=us_store, cell_phone="+13135550195")
    data = person(cell_phone="3135550195", email1="late@mail.example.com")
    CustomerFactory(dealership=us_store, email1="LATE@mail.example.com", cell_phone="")  # arrived meanwhile
    found = possible(us_store, us_coordinator, data, confirmed={first.pk})
    assert len(found.unconfirmed) == 1 and first.pk not in found.unconfirmed


# --- double submit ---------------------------------------------------------------------------------------------


def test_the_same_form_sent_twice_creates_one_file(us_store, us_coordinator):
    token = uuid.uuid4()
    first = create(us_store, us_coordinator, person(cell_phone="3135550196"), token=token)
    again = create(us_store, us_coordinator, person(cell_phone="3135550196"), token=token)
    assert first.created and not again.created and again.customer.pk == first.customer.pk
    assert Customer.objects.filter(dealership=us_store).count() == 1
    assert CustomerCreation.objects.get(token=token).customer == first.customer


# --- contact methods at creation ----------------------------------------------------------------------------------


def test_methods_turned_off_at_creation_go_through_the_one_writer_into_the_created_entry(us_store, us_coordinator):
    reason = TurnOffReasonFactory(dealership=us_store, code="NOEMAIL", label="Asked not to email")
    result = new_customer_save(
        dealership=us_store,
        data=person(cell_phone="3135550197", email1="x@example.com", preferred_contact_method="cell_phone"),
        methods_off={"email": reason},
        actor=us_coordinator,
        token=uuid.uuid4(),
    )
    customer = result.customer
    assert customer.preferred_contact_method == "cell_phone"
    method = ContactMethod.objects.get(customer=customer, method="email")
    assert (method.is_on, method.reason, method.changed_by) == (False, reason, us_coordinator)
    assert TurnOffEvent.objects.filter(customer=customer, code="email", is_on=False).count() == 1
    entry = created_entry(customer)
    assert changes(entry)["contact_method:email"] == {"on": False, "reason": reason.pk}


def test_the_preferred_method_is_on_and_has_something_on_file(us_store, us_coordinator):
    reason = TurnOffReasonFactory(dealership=us_store)
    with pytest.raises(ValidationError) as error:
        new_customer_save(
            dealership=us_store,
            data=person(cell_phone="3135550198", email1="y@example.com", preferred_contact_method="email"),
            methods_off={"email": reason},
            actor=us_coordinator,
            token=uuid.uuid4(),
        )
    assert "turned off" in error.value.message_dict["preferred_contact_method"][0]
    with pytest.raises(ValidationError) as error:
        customer_new_clean(dealership=us_store, data=person(cell_phone="3135550198", preferred_contact_method="email"))
    assert error.value.message_dict["preferred_contact_method"] == [
        "Email has nothing entered; enter it or choose another."
    ]
    assert not Customer.objects.filter(dealership=us_store).exists()


# --- the store's do-not-call list: a hook ---------------------------------------------------------------------


def test_a_number_on_the_stores_do_not_call_list_is_flagged_on_the_new_file(us_store, ca_store, us_coordinator):
    assert do_not_call_list_exists()  # the contacts app registers the store's list
    do_not_call_add(dealership=us_store, number="+13135550199", reason="asked on the phone", actor=us_coordinator)
    do_not_call_add(dealership=ca_store, number="+13135550198", reason="another store's list", actor=us_coordinator)
    result = create(us_store, us_coordinator, person(cell_phone="3135550199", home_phone="3135550198"))
    assert result.do_not_call == {"+13135550199"}
    assert "On the store's do-not-call list: (313) 555-0199." in created_entry(result.customer).note


def test_a_number_on_a_registered_do_not_call_list_is_flagged_on_the_new_file(us_store, us_coordinator):
    calls = []

    def store_list(dealership_id, numbers):
        calls.append((dealership_id, numbers))
        return {"+13135550188"}

    do_not_call_lookup_register(store_list)
    try:
        result = create(us_store, us_coordinator, person(cell_phone="3135550188", home_phone="3135550187"))
    finally:
        do_not_call_lookup_unregister(store_list)
    assert result.do_not_call == {"+13135550188"}
    assert calls == [(us_store.pk, frozenset({"+13135550188", "+13135550187"}))]
    assert "On the store's do-not-call list: (313) 555-0188." in created_entry(result.customer).note
