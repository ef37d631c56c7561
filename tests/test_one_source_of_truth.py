"""A customer's day, at random: edits, removals, method switches, preferences, merges and unmerges, opt-out
imports, consent expiry and nightly DMS rows, in any order. After every step the file must not contradict itself:

- the preferred method is never one that is off or has nothing on file;
- every contact-method state has its Turn Off history and its customer-history change, and they agree with it;
- every history change is stored raw under a key the field registry labels (no labels or display text stored);
- what the profile shows for each method is the contactability function's answer.
"""

import contextlib
import io
from datetime import timedelta
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from contacts.audit_keys import PREFIX as CONSENT_PREFIX
from contacts.models import ConsentBasis, ContactMethod
from contacts.selectors.contactability import customer_contactability
from contacts.services import consent_expire, email_consent_record, opt_outs_import
from contacts.services.method_screen import contact_method_set, customer_preferred_method_set
from customers.fields import (
    BY_KEY,
    CONTACT_METHOD_PREFIX,
    OTHER_LABELS,
    PHONE_FIELDS,
    REMOVABLE_FIELDS,
    VEHICLE_PREFIX,
    VIN_TYPE_PREFIX,
    method_state_raw,
)
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerHistory,
    DmsAdapter,
    Relationship,
    TurnOffEvent,
    TurnOffTarget,
)
from customers.rules import method_has_value
from customers.services.customer import customer_update
from customers.services.merge import customer_merge, customer_unmerge
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.services.pull import dms_pull
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import (
    CustomerFactory,
    DealershipFactory,
    MembershipFactory,
    TurnOffReasonFactory,
    UserFactory,
)
from tests.dms_sync.extracts import csv_bytes, customer_row, write_raw_extract

PHONES = ["+13135550142", "+13135550143", "+12485550100"]
PHONE_TEXT = {"+13135550142": "(313) 555-0142", "+13135550143": "313.555.0143", "+12485550100": "248-555-0100"}
EMAILS = ["ann@mail.example.com", "Ann.Two@Mail.example.com", "shared@mail.example.com"]
METHODS = list(ContactMethodKind.values)
KNOWN_PREFIXES = (CONTACT_METHOD_PREFIX, VEHICLE_PREFIX, VIN_TYPE_PREFIX, CONSENT_PREFIX)


def _history_key_is_declared(key: str) -> bool:
    return key in BY_KEY or key in OTHER_LABELS or key.startswith(KNOWN_PREFIXES)


class CustomerDay(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.store = DealershipFactory(dms_adapter=DmsAdapter.FILE_DROP)
        self.user = UserFactory()
        MembershipFactory(user=self.user, dealership=self.store)
        self.reason = TurnOffReasonFactory(applies_to_contact_method=True)
        self.parent = CustomerFactory(
            dealership=self.store, dms_number="7001", cell_phone=PHONES[0], email1=EMAILS[0], address1="1 Main St"
        )
        self.child = CustomerFactory(dealership=self.store, dms_number="7002", cell_phone=PHONES[1])
        self.days = count(1)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _fresh(self, customer) -> Customer:
        return Customer.objects.select_related("dealership").get(pk=customer.pk)

    def _who(self, which):
        return self._fresh(self.parent if which == "parent" else self.child)

    # --- steps ---------------------------------------------------------------------------------------------

    @rule(
        which=st.sampled_from(["parent", "child"]),
        field=st.sampled_from(PHONE_FIELDS + ("email1", "email2")),
        value=st.sampled_from(["", *PHONES, *EMAILS]),
    )
    def edit(self, which, field, value):
        customer = self._who(which)
        if field in PHONE_FIELDS and "@" in value or field.startswith("email") and value.startswith("+"):
            return
        value = PHONE_TEXT.get(value, value)
        with contextlib.suppress(ValidationError):  # e.g. Default Email without an address: refused, nothing written
            customer_update(customer=customer, data={field: value}, actor=self.user, expected_version=customer.version)

    @rule(which=st.sampled_from(["parent", "child"]), field=st.sampled_from(REMOVABLE_FIELDS))
    def remove(self, which, field):
        customer = self._who(which)
        if getattr(customer, field):
            customer_value_remove(customer=customer, field=field, actor=self.user)

    @rule(which=st.sampled_from(["parent", "child"]), method=st.sampled_from(METHODS), on=st.booleans())
    def switch(self, which, method, on):
        customer = self._who(which)
        try:
            contact_method_set(customer=customer, method=method, is_on=on, reason=self.reason, actor=self.user)
        except ValidationError:
            assert customer.is_duplicate_child

    @rule(which=st.sampled_from(["parent", "child"]), method=st.sampled_from(["", *METHODS]))
    def prefer(self, which, method):
        customer = self._who(which)
        with contextlib.suppress(ValidationError):  # off, nothing on file, or a duplicate child: refused
            customer_preferred_method_set(customer=customer, method=method, actor=self.user)

    @precondition(lambda self: self._fresh(self.child).merge_parent_id is None)
    @rule(
        relationship=st.sampled_from([Relationship.DUPLICATE, Relationship.SPOUSE]),
        apply=st.booleans(),
        fill=st.booleans(),
    )
    def merge(self, relationship, apply, fill):
        parent = self._fresh(self.parent)
        child = self._fresh(self.child)
        fill_fields = {
            name: child.pk for name in PHONE_FIELDS if fill and not getattr(parent, name) and getattr(child, name)
        }
        customer_merge(
            parent=parent,
            children=[child],
            relationships={child.pk: relationship},
            fill_fields=fill_fields,
            apply_turn_offs=[child.pk] if apply and relationship != Relationship.DUPLICATE else [],
            actor=self.user,
        )

    @precondition(lambda self: self._fresh(self.child).merge_parent_id is not None)
    @rule()
    def unmerge(self):
        customer_unmerge(child=self._fresh(self.child), actor=self.user)

    @rule(kind=st.sampled_from(["cell", "email"]))
    def opt_out(self, kind):
        parent = self._fresh(self.parent)
        key = parent.cell_phone if kind == "cell" else parent.email1
        if not key:
            return
        opt_outs_import(
            dealership=self.store, stream=io.StringIO(f"key\n{key}\n"), filename="optouts.csv", reason=self.reason
        )

    @rule()
    def consent_lapses(self):
        parent = self._fresh(self.parent)
        if not parent.email1:
            return
        now = timezone.now()
        email_consent_record(
            customer=parent,
            email=parent.email1,
            basis=ConsentBasis.IMPLIED_INQUIRY,
            obtained_at=now - timedelta(days=400),
            actor=self.user,
            now=now - timedelta(days=400),
        )
        consent_expire(now=now)

    @rule(
        allow_phone=st.booleans(),
        allow_email=st.booleans(),
        cell=st.sampled_from(["", *PHONES]),
        email=st.sampled_from(["", *EMAILS]),
    )
    def dms_night(self, allow_phone, allow_email, cell, email):
        day = next(self.days)
        row = customer_row(
            "7001",
            cell_phone=PHONE_TEXT.get(cell, ""),
            email1=email,
            address1="1 Main St",
            allow_phone="Y" if allow_phone else "N",
            allow_email="Y" if allow_email else "N",
            last_change_date=(timezone.localdate() + timedelta(days=day)).isoformat(),
        )
        write_raw_extract(
            self.drop_root,
            self.store.code,
            customers=csv_bytes(CUSTOMER_COLUMNS, [row]),
            customer_rows=1,
            day=f"2030{1 + day // 28:02d}{1 + day % 28:02d}",
        )
        assert dms_pull(dealership=self.store).status == "succeeded"

    # --- what must always hold -----------------------------------------------------------------------------

    @invariant()
    def preferred_method_is_usable(self):
        for customer in (self._fresh(self.parent), self._fresh(self.child)):
            method = customer.preferred_contact_method
            if not method:
                continue
            off = ContactMethod.objects.filter(customer=customer, method=method, is_on=False).exists()
            assert not off, f"preferred {method} is off"
            assert method_has_value(customer, method), f"preferred {method} has nothing on file"

    @invariant()
    def every_state_has_its_history(self):
        for customer in (self._fresh(self.parent), self._fresh(self.child)):
            history = list(CustomerHistory.objects.filter(customer=customer).order_by("created_at", "id"))
            last_change = {}
            for entry in history:
                for change in entry.changes:
                    last_change[change["field"]] = change["new"]
            for row in ContactMethod.objects.filter(customer=customer):
                event = (
                    TurnOffEvent.objects.filter(customer=customer, target=TurnOffTarget.CONTACT_METHOD, code=row.method)
                    .order_by("-created_at", "-id")
                    .first()
                )
                assert event is not None, f"{row.method} changed without Turn Off history"
                assert (event.is_on, event.reason_id) == (row.is_on, row.reason_id)
                raw = last_change.get(f"{CONTACT_METHOD_PREFIX}{row.method}")
                assert raw == method_state_raw(is_on=row.is_on, reason_id=row.reason_id), row.method

    @invariant()
    def history_is_raw_and_labelled_by_the_registry(self):
        for entry in CustomerHistory.objects.filter(customer__dealership=self.store):
            for change in entry.changes:
                assert "label" not in change
                assert _history_key_is_declared(change["field"]), change["field"]
                if change["field"] in PHONE_FIELDS:
                    for raw in (change["old"], change["new"]):
                        assert raw in (None, "") or raw.startswith("+"), raw

    @invariant()
    def profile_shows_the_contactability_answer(self):
        from customers.selectors.profile import customer_profile_get

        for customer in (self._fresh(self.parent), self._fresh(self.child)):
            profile = customer_profile_get(user=self.user, pk=customer.pk)
            answers = customer_contactability(customer=customer)
            for state in profile.contact_methods:
                assert state.usable == answers[state.method].ok, state.method
                if state.is_preferred_shown:
                    assert answers[state.method].ok


MACHINE_SETTINGS = hypothesis_settings(
    max_examples=25, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.django_db
def test_a_customers_day_never_contradicts_itself(tmp_path, settings):
    """Each example's store has its own code, so its extract folders never mix with another example's."""
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"

    class Day(CustomerDay):
        drop_root = tmp_path / "drop"

    run_state_machine_as_test(Day, settings=MACHINE_SETTINGS)
