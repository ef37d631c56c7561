"""Logging a contact and its consequences (contacts.services.contact_log), recycle days and call backs on Call
Select, the store's do-not-call list in contactability and in Call Select's SQL."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from contacts.contactability import Blocker, contactability
from contacts.models import (
    ContactChannel,
    ContactLog,
    ContactMethod,
    ContactResult,
    ContactSettings,
    DoNotCallNumber,
    DoNotCallSource,
    LastContact,
    RecycleDays,
)
from contacts.selectors import call_select_list
from contacts.selectors.contactability import customer_contact_facts
from contacts.selectors.do_not_call import do_not_call_listed
from contacts.services import contact_log_record, do_not_call_add
from customers.models import (
    ContactMethodKind,
    CustomerHistory,
    TurnOffEvent,
    TurnOffReason,
    TurnOffTarget,
    VinContactType,
)
from tests.contacts.factories import ContactMethodFactory
from tests.customers.factories import CustomerFactory, TurnOffReasonFactory, VehicleFactory

DETROIT = ZoneInfo("America/Detroit")
#: A Wednesday noon at the store (America/Detroit), for dates that do not depend on when the suite runs.
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=DETROIT)
MAINT = VinContactType.MAINTENANCE


def qualifying(store, **kwargs):
    customer = CustomerFactory(dealership=store, **kwargs)
    VehicleFactory(customer=customer)
    return customer


def listed(user, store, contact_type=MAINT, *, now, **kwargs):
    rows = call_select_list(user=user, dealership_id=store.pk, contact_type=contact_type, limit=500, now=now, **kwargs)
    return [row.customer.pk for row in rows]


def log(customer, *, now=NOON, actor=None, **kwargs):
    values = {"channel": ContactChannel.PHONE_OUT, "result": ContactResult.NO_ANSWER, "contact_type": MAINT}
    return contact_log_record(customer=customer, actor=actor, now=now, **(values | kwargs))


def method_on(customer, method):
    row = ContactMethod.objects.filter(customer=customer, method=method).first()
    return row is None or row.is_on


# --- the log itself ---------------------------------------------------------------------------------------------


def test_a_contact_is_logged_with_who_when_vehicle_and_its_latest_per_type(us_store, us_coordinator):
    customer = qualifying(us_store)
    vehicle = customer.vehicles.get()
    logged = log(customer, actor=us_coordinator, vehicle=vehicle, result=ContactResult.BOOKED, note="  Oil change ")
    entry = logged.log
    assert (entry.user, entry.contacted_at, entry.vin, entry.note) == (us_coordinator, NOON, vehicle.vin, "Oil change")
    assert (entry.dealership_id, entry.is_inbound, entry.who) == (us_store.pk, False, us_coordinator.get_full_name())
    state = LastContact.objects.get(customer=customer, contact_type=MAINT)
    assert (state.contact_log, state.result, state.call_back_on) == (entry, ContactResult.BOOKED, None)

    older = log(customer, now=NOON - timedelta(days=3), result=ContactResult.BUSY).log
    state.refresh_from_db()
    assert state.contact_log == entry, "an older contact logged later does not replace the latest"
    assert ContactLog.objects.filter(customer=customer).first() == entry and older.pk


def test_a_general_contact_has_no_type_and_no_recycle(us_store, us_coordinator):
    customer = qualifying(us_store)
    log(customer, channel=ContactChannel.PHONE_IN, result=ContactResult.OTHER, contact_type="")
    assert not LastContact.objects.exists()
    assert listed(us_coordinator, us_store, now=NOON + timedelta(minutes=1)) == [customer.pk]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"channel": "fax"}, "channel"),
        ({"result": "maybe"}, "result"),
        ({"contact_type": "oil"}, "contact_type"),
        ({"result": ContactResult.CALL_BACK}, "call_back_on"),
        ({"result": ContactResult.CALL_BACK, "call_back_on": date(2026, 3, 10)}, "call_back_on"),
        ({"result": ContactResult.CALL_BACK, "call_back_on": date(2027, 3, 13)}, "call_back_on"),
        ({"result": ContactResult.CALL_BACK, "call_back_on": date(2026, 3, 12), "contact_type": ""}, "contact_type"),
        ({"result": ContactResult.BOOKED, "call_back_on": date(2026, 3, 12)}, "call_back_on"),
        ({"result": ContactResult.WRONG_NUMBER}, "phone"),
        ({"result": ContactResult.DO_NOT_CALL}, "phone"),
        ({"phone": "+13135550000"}, "phone"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_what_cannot_be_logged_is_refused_and_nothing_is_written(us_store, kwargs, field):
    customer = qualifying(us_store, cell_phone="+13135550101")
    with pytest.raises(ValidationError) as error:
        log(customer, **kwargs)
    assert field in error.value.message_dict
    assert not ContactLog.objects.exists() and not LastContact.objects.exists()


def test_a_vehicle_of_another_customer_is_refused(us_store):
    customer = qualifying(us_store)
    other = VehicleFactory(customer=CustomerFactory(dealership=us_store))
    with pytest.raises(ValidationError) as error:
        log(customer, vehicle=other)
    assert "vehicle" in error.value.message_dict


# --- recycle days ------------------------------------------------------------------------------------------------


def test_a_contacted_customer_leaves_the_type_until_the_recycle_days_have_passed(us_store, us_coordinator):
    customer, other = qualifying(us_store), qualifying(us_store)
    log(customer, result=ContactResult.LEFT_MESSAGE)  # Maintenance: 30 days by default
    cutoff = NOON + timedelta(days=30)
    assert listed(us_coordinator, us_store, now=NOON + timedelta(seconds=1)) == [other.pk]
    assert listed(us_coordinator, us_store, now=cutoff) == [other.pk], "exactly 30 days later: still recycling"
    assert set(listed(us_coordinator, us_store, now=cutoff + timedelta(seconds=1))) == {customer.pk, other.pk}
    assert customer.pk in listed(us_coordinator, us_store, VinContactType.CSI, now=NOON), "other types unaffected"


def test_the_store_sets_recycle_days_per_type(us_store, us_coordinator, ca_store):
    settings = ContactSettings.objects.create(dealership=us_store)
    RecycleDays.objects.create(store_settings=settings, contact_type=MAINT, days=3)
    other_store = ContactSettings.objects.create(dealership=ca_store)
    RecycleDays.objects.create(store_settings=other_store, contact_type=MAINT, days=1)  # never read for us_store
    customer = qualifying(us_store)
    log(customer)
    assert listed(us_coordinator, us_store, now=NOON + timedelta(days=2)) == []
    assert listed(us_coordinator, us_store, now=NOON + timedelta(days=3, seconds=1)) == [customer.pk]
    row = call_select_list(
        user=us_coordinator, dealership_id=us_store.pk, contact_type=MAINT, limit=5, now=NOON + timedelta(days=4)
    )[0]
    assert row.recycled_on == date(2026, 3, 14) and row.due_reason == "Recycled Mar 14, 2026"
    assert row.last_contact_result_label == "No answer"


def test_only_the_latest_contact_for_the_type_counts(us_store, us_coordinator):
    customer = qualifying(us_store)
    log(customer, now=NOON - timedelta(days=40), result=ContactResult.BOOKED)
    assert listed(us_coordinator, us_store, now=NOON) == [customer.pk]
    log(customer, now=NOON, result=ContactResult.NO_ANSWER)
    assert listed(us_coordinator, us_store, now=NOON + timedelta(days=1)) == []


# --- call back ---------------------------------------------------------------------------------------------------


def test_a_call_back_comes_back_on_its_date_at_the_top_whatever_the_recycle(us_store, us_coordinator):
    top = qualifying(us_store, star_rating=10, last_name="Top")
    caller = qualifying(us_store, star_rating=1, last_name="Caller")
    log(caller, result=ContactResult.CALL_BACK, call_back_on=date(2026, 3, 13))
    assert listed(us_coordinator, us_store, now=NOON) == [top.pk]
    # Friday 13th, 00:30 at the store (04:30 UTC): the store's date has come.
    friday = datetime(2026, 3, 13, 0, 30, tzinfo=DETROIT)
    assert listed(us_coordinator, us_store, now=friday - timedelta(hours=1)) == [top.pk], "Thursday evening"
    assert listed(us_coordinator, us_store, now=friday) == [caller.pk, top.pk]
    for sort in ("star_asc", "ro_desc", "recycle_asc", "recycle_desc"):
        assert listed(us_coordinator, us_store, now=friday, sort=sort)[0] == caller.pk, sort
    row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type=MAINT, limit=1, now=friday)[0]
    assert row.is_call_back and row.due_reason == "Call back due Mar 13, 2026"
    assert listed(us_coordinator, us_store, VinContactType.CSI, now=NOON) == [top.pk, caller.pk]


def test_call_backs_come_oldest_date_first_and_a_later_contact_settles_them(us_store, us_coordinator):
    a, b = qualifying(us_store, last_name="A"), qualifying(us_store, last_name="B")
    log(a, result=ContactResult.CALL_BACK, call_back_on=date(2026, 3, 13))
    log(b, result=ContactResult.CALL_BACK, call_back_on=date(2026, 3, 12))
    later = NOON + timedelta(days=3)
    assert listed(us_coordinator, us_store, now=later) == [b.pk, a.pk]
    log(b, now=later, result=ContactResult.BOOKED)
    assert listed(us_coordinator, us_store, now=later + timedelta(minutes=1)) == [a.pk]


# --- wrong number -----------------------------------------------------------------------------------------------


def test_a_wrong_number_names_the_field_for_the_remove_flow_and_removes_nothing(us_store):
    customer = qualifying(us_store, home_phone="+13135550177", cell_phone="+13135550178")
    logged = log(customer, result=ContactResult.WRONG_NUMBER, phone="+13135550177")
    assert logged.remove_field == "home_phone" and logged.log.phone == "+13135550177"
    customer.refresh_from_db()
    assert customer.home_phone == "+13135550177", "the remove (X) has its own confirm step"
    assert logged.do_not_call is None and not DoNotCallNumber.objects.exists()


# --- do not call --------------------------------------------------------------------------------------------------


def test_do_not_call_lists_the_number_and_turns_off_the_methods_carrying_it(us_store, us_coordinator):
    customer = qualifying(
        us_store,
        home_phone="+13135550160",
        cell_phone="+13135550160",
        work_phone="+13135550161",
        preferred_contact_method=ContactMethodKind.CELL_PHONE,
    )
    logged = log(
        customer, actor=us_coordinator, result=ContactResult.DO_NOT_CALL, phone="+13135550160", note="Angry"
    )
    entry = logged.do_not_call
    assert (entry.dealership, entry.number, entry.source) == (us_store, "+13135550160", DoNotCallSource.CONTACT_LOG)
    assert (entry.added_by, entry.added_at, entry.customer, entry.contact_log) == (
        us_coordinator,
        NOON,
        customer,
        logged.log,
    )
    assert entry.reason.endswith("asked not to be called: Angry")
    assert sorted(logged.methods_turned_off) == ["cell_phone", "home_phone"]
    assert not method_on(customer, "home_phone") and not method_on(customer, "cell_phone")
    assert method_on(customer, "work_phone"), "another number is not on the list"
    reason = TurnOffReason.objects.get(code="DNC", dealership=None)
    assert ContactMethod.objects.get(customer=customer, method="cell_phone").reason == reason
    events = TurnOffEvent.objects.filter(customer=customer, target=TurnOffTarget.CONTACT_METHOD)
    assert {(e.code, e.actor, e.reason) for e in events} == {
        ("home_phone", us_coordinator, reason),
        ("cell_phone", us_coordinator, reason),
    }
    customer.refresh_from_db()
    assert customer.preferred_contact_method == "", "the star never sits on a method turned off"
    entries = CustomerHistory.objects.filter(customer=customer, action="contact_method")
    assert entries.count() == 2 and all(e.actor == us_coordinator for e in entries)


def test_do_not_call_keeps_a_method_already_off_with_its_reason_and_a_listed_numbers_first_entry(
    us_store, us_coordinator
):
    own = TurnOffReasonFactory(label="Moved away")
    customer = qualifying(us_store, cell_phone="+13135550162")
    ContactMethodFactory(customer=customer, method="cell_phone", reason=own)
    first, _ = do_not_call_add(dealership=us_store, number="+13135550162", reason="Listed by the manager")
    logged = log(customer, actor=us_coordinator, result=ContactResult.DO_NOT_CALL, phone="+13135550162")
    assert logged.do_not_call == first and logged.methods_turned_off == []
    assert ContactMethod.objects.get(customer=customer, method="cell_phone").reason == own
    assert DoNotCallNumber.objects.count() == 1


def test_the_stores_own_dnc_code_is_used_when_it_has_one(us_store):
    own = TurnOffReasonFactory(dealership=us_store, code="DNC", label="Do not call (ours)")
    customer = qualifying(us_store, cell_phone="+13135550163")
    log(customer, result=ContactResult.DO_NOT_CALL, phone="+13135550163")
    assert ContactMethod.objects.get(customer=customer, method="cell_phone").reason == own


def test_a_listed_number_is_never_offered_by_call_select_for_anyone_in_the_store(us_store, us_coordinator, ca_store):
    asked = qualifying(us_store, cell_phone="+13135550164", email1="", address1="")
    household = qualifying(us_store, home_phone="+13135550164", cell_phone="", email1="", address1="")
    reachable = qualifying(us_store, home_phone="+13135550164", cell_phone="+13135550165", email1="")
    foreign = qualifying(ca_store, cell_phone="+13135550164", email1="", address1="")
    assert set(listed(us_coordinator, us_store, now=NOON)) == {asked.pk, household.pk, reachable.pk}

    log(asked, now=NOON - timedelta(days=60), result=ContactResult.DO_NOT_CALL, phone="+13135550164")

    assert listed(us_coordinator, us_store, now=NOON) == [reachable.pk]
    row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type=MAINT, limit=5, now=NOON)[0]
    assert row.phone == "+13135550165", "the listed number is never the best phone"
    facts = customer_contact_facts(customer=household)
    answer = contactability(facts, method=ContactMethodKind.HOME_PHONE)
    assert answer.blockers == {Blocker.DO_NOT_CALL} and "do-not-call" in answer.why
    assert method_on(household, "home_phone"), "another customer's file is not changed; the list blocks it"
    # Another store's list never reaches this store (and the other way round).
    assert do_not_call_listed(ca_store.pk, ["+13135550164"]) == set()
    assert contactability(customer_contact_facts(customer=foreign), method=ContactMethodKind.CELL_PHONE).ok


def test_do_not_call_listed_answers_in_one_query_and_none_for_no_numbers(
    us_store, ca_store, django_assert_num_queries
):
    do_not_call_add(dealership=us_store, number="+13135550166")
    do_not_call_add(dealership=ca_store, number="+13135550167")
    with django_assert_num_queries(1):
        assert do_not_call_listed(us_store.pk, ["+13135550166", "+13135550167", ""]) == {"+13135550166"}
    with django_assert_num_queries(0):
        assert do_not_call_listed(us_store.pk, ["", ""]) == set()


def test_a_number_changed_meanwhile_is_refused(us_store):
    customer = qualifying(us_store, cell_phone="+13135550168")
    customer.cell_phone = "+13135550169"
    customer.save()
    with pytest.raises(ValidationError):
        log(customer, result=ContactResult.DO_NOT_CALL, phone="+13135550168")
    assert not DoNotCallNumber.objects.exists()
