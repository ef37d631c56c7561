from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import ContactMethod
from customers.models import (
    ContactMethodKind,
    CustomerHistory,
    HistorySource,
    TurnOffEvent,
    TurnOffReason,
    TurnOffTarget,
)
from tests.contacts.factories import ContactMethodFactory, EmailConsentFactory
from tests.customers.factories import CustomerFactory, TurnOffReasonFactory


def run(path, *args, code="us-store"):
    out, err = StringIO(), StringIO()
    call_command("import_opt_outs", "--dealership", code, *args, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def method_on(customer, method):
    row = ContactMethod.objects.filter(customer=customer, method=method).first()
    return row is None or row.is_on


@pytest.fixture
def people(us_store, ca_store):
    return {
        "ann": CustomerFactory(dealership=us_store, cell_phone="+13135550142", email1="ann@mail.example.com"),
        "ann_dup": CustomerFactory(dealership=us_store, cell_phone="+13135550142", email1=""),
        "bob": CustomerFactory(dealership=us_store, cell_phone="+13135550199", email2="Bob.Two@Mail.Example.com"),
        "foreign": CustomerFactory(dealership=ca_store, cell_phone="+13135550142", email1="ann@mail.example.com"),
    }


def test_cell_and_email_keys_turn_off_every_matching_customer_with_history(people, tmp_path):
    EmailConsentFactory(customer=people["bob"], email="bob.two@mail.example.com")
    path = tmp_path / "optouts.csv"
    path.write_text(
        "cell_phone,email\n(313) 555-0142,\n,BOB.TWO@mail.example.com\n313-555-0100,\n,nobody@mail.example.com\n12,\n"
    )
    out, err = run(path)

    assert not method_on(people["ann"], ContactMethodKind.CELL_PHONE)
    assert not method_on(people["ann_dup"], ContactMethodKind.CELL_PHONE)
    assert method_on(people["ann"], ContactMethodKind.EMAIL), "only the keyed method is turned off"
    assert not method_on(people["bob"], ContactMethodKind.EMAIL)
    assert method_on(people["bob"], ContactMethodKind.CELL_PHONE)
    assert method_on(people["foreign"], ContactMethodKind.CELL_PHONE), "another store's customer is untouched"

    reason = TurnOffReason.objects.get(code="OPTOUT")
    assert reason.applies_to_contact_method and reason.dealership is None
    events = TurnOffEvent.objects.filter(target=TurnOffTarget.CONTACT_METHOD)
    assert events.count() == 3
    assert {e.actor_label for e in events} == {"import: optouts.csv"}
    assert all(e.reason == reason and not e.is_on and e.actor is None for e in events)

    entry = CustomerHistory.objects.get(customer=people["bob"])
    assert (entry.source, entry.actor_label, entry.who) == (
        HistorySource.IMPORT,
        "import: optouts.csv",
        "import: optouts.csv",
    )
    fields = [c["field"] for c in entry.changes]
    assert fields == ["contact_method:email", "email_consent:bob.two@mail.example.com:opted_out_at"]
    assert people["bob"].email_consents.get().opted_out_at is not None

    assert "5 rows, 4 keys, 3 customer matches, 3 turned off, 0 already off, 2 unknown, 1 rejected" in out
    assert "+13135550100" in out and "nobody@mail.example.com" in out
    assert "line 6" in err


def test_rerunning_the_import_changes_nothing(people, tmp_path):
    path = tmp_path / "optouts.csv"
    path.write_text("key\n3135550142\nann@mail.example.com\n")
    run(path)
    counts = (TurnOffEvent.objects.count(), CustomerHistory.objects.count(), ContactMethod.objects.count())
    out, _ = run(path)
    assert (TurnOffEvent.objects.count(), CustomerHistory.objects.count(), ContactMethod.objects.count()) == counts
    assert "0 turned off, 3 already off" in out


def test_a_method_already_off_is_not_touched_again(people, tmp_path):
    ContactMethodFactory(customer=people["ann"], method=ContactMethodKind.CELL_PHONE)
    path = tmp_path / "optouts.csv"
    path.write_text("phone\n+1 313 555 0142\n")
    out, _ = run(path)
    assert "1 turned off, 1 already off" in out
    assert not TurnOffEvent.objects.filter(customer=people["ann"]).exists()


def test_reason_option(people, us_store, tmp_path):
    own = TurnOffReasonFactory(dealership=us_store, code="SMSSTOP", applies_to_contact_method=True)
    TurnOffReasonFactory(dealership=None, code="VINONLY", applies_to_contact_method=False)
    TurnOffReasonFactory(dealership=None, code="OLD", is_active=False)
    path = tmp_path / "optouts.csv"
    path.write_text("cell\n3135550199\n")
    with pytest.raises(CommandError, match="does not apply"):
        run(path, "--reason", "VINONLY")
    with pytest.raises(CommandError, match="not active"):
        run(path, "--reason", "OLD")
    with pytest.raises(CommandError, match="Unknown"):
        run(path, "--reason", "NOPE")
    assert not TurnOffEvent.objects.exists()
    run(path, "--reason", "SMSSTOP")
    assert TurnOffEvent.objects.get().reason == own


def test_a_file_without_a_key_column_fails(people, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name\nAnn\n")
    with pytest.raises(CommandError, match="No key column"):
        run(path)


def test_turning_off_the_preferred_method_clears_the_preference(us_store, tmp_path):
    customer = CustomerFactory(dealership=us_store, cell_phone="+13135550177", preferred_contact_method="cell_phone")
    path = tmp_path / "optouts.csv"
    path.write_text("cell\n3135550177\n")
    run(path)
    customer.refresh_from_db()
    assert customer.preferred_contact_method == ""
    assert customer.version == 2
    changes = CustomerHistory.objects.get(customer=customer).changes
    assert [c["field"] for c in changes] == ["contact_method:cell_phone", "preferred_contact_method"]
