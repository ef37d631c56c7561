"""Merge and unmerge: the service rules, atomicity, history, and the Merge Customer screens."""

from datetime import timedelta

import pytest
from django.urls import reverse

from contacts.models import ContactMethod
from contacts.services.method_screen import contact_method_set
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerHistory,
    HistorySource,
    Inquiry,
    Relationship,
    TurnOffEvent,
)
from customers.services.merge import MergeError, customer_merge, customer_unmerge, takeable_fields
from customers.services.merge import merge as merge_module
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    RepairOrderFactory,
    TurnOffReasonFactory,
    UserFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

DUP = Relationship.DUPLICATE


def fresh(c):
    return Customer.objects.get(pk=c.pk)


@pytest.fixture
def family(us_store):
    parent = CustomerFactory(dealership=us_store, first_name="Pat", last_name="Parent", email2="", home_phone="")
    dup = CustomerFactory(
        dealership=us_store,
        first_name="Patricia",
        last_name="Parent",
        email2="pp@mail.example.com",
        home_phone="+13135550177",
    )
    spouse = CustomerFactory(dealership=us_store, first_name="Sam", last_name="Parent")
    return parent, dup, spouse


# --- the service ---------------------------------------------------------------------------------------------


def test_merge_links_children_fills_parent_and_writes_history(family, coordinator):
    parent, dup, spouse = family
    vehicle = VehicleFactory(customer=dup)
    ro = RepairOrderFactory(customer=dup)
    assoc = AssociationFactory(from_customer=dup, to_customer=spouse)
    bounce = EmailBounceFactory(dealership=dup.dealership, email=dup.email1)
    before_version = parent.version

    result = customer_merge(
        parent=parent,
        children=[dup, spouse],
        relationships={dup.pk: DUP, spouse.pk: Relationship.SPOUSE},
        fill_fields={"email2": dup.pk, "home_phone": dup.pk},
        apply_turn_offs=[],
        actor=coordinator,
    )

    parent, dup, spouse = fresh(parent), fresh(dup), fresh(spouse)
    assert result.filled == {"email2": dup.pk, "home_phone": dup.pk}
    assert (parent.email2, parent.home_phone) == ("pp@mail.example.com", "+13135550177")
    assert parent.version == before_version + 1
    assert (dup.merge_parent, dup.merge_relationship) == (parent, DUP) and dup.merged_at
    assert (spouse.merge_parent, spouse.merge_relationship) == (parent, Relationship.SPOUSE)
    assert dup.is_duplicate_child and not spouse.is_duplicate_child
    # The child keeps its own values and rows.
    assert dup.email2 == "pp@mail.example.com"
    assert dup.merge_snapshot["fields"]["email2"] == "pp@mail.example.com"
    assert dup.merge_snapshot["copied_to_parent"] == {"email2": "pp@mail.example.com", "home_phone": "+13135550177"}
    vehicle.refresh_from_db()
    ro.refresh_from_db()
    assoc.refresh_from_db()
    bounce.refresh_from_db()
    assert vehicle.customer_id == dup.pk and ro.customer_id == dup.pk and assoc.from_customer_id == dup.pk
    assert dup.dms_number  # the nightly sync keeps matching it by its own number

    for c in (parent, dup, spouse):
        entry = CustomerHistory.objects.get(customer=c)
        assert (entry.source, entry.action, entry.actor) == (HistorySource.MERGE, "merge", coordinator)
    # History stores raw values (the other file by id, the relationship by code); labels come when shown.
    parent_changes = CustomerHistory.objects.get(customer=parent).changes
    assert {"field": "email2", "old": "", "new": "pp@mail.example.com"} in parent_changes
    assert {"field": "merge_child", "old": None, "new": dup.pk} in parent_changes
    assert "as Duplicate" in CustomerHistory.objects.get(customer=parent).note
    assert CustomerHistory.objects.get(customer=dup).changes[:2] == [
        {"field": "merge_parent", "old": None, "new": parent.pk},
        {"field": "merge_relationship", "old": "", "new": "duplicate"},
    ]


def test_apply_turn_offs_to_non_duplicates_and_unmerge_restores_them(family, coordinator):
    parent, _dup, spouse = family
    reason = TurnOffReasonFactory()
    ContactMethodFactory(customer=parent, method=ContactMethodKind.EMAIL, is_on=False, reason=reason)
    ContactMethodFactory(customer=parent, method=ContactMethodKind.CELL_PHONE, is_on=False, reason=reason)
    own_reason = TurnOffReasonFactory()
    ContactMethodFactory(customer=spouse, method=ContactMethodKind.CELL_PHONE, is_on=False, reason=own_reason)

    customer_merge(
        parent=parent,
        children=[spouse],
        relationships={spouse.pk: Relationship.SPOUSE},
        fill_fields={},
        apply_turn_offs={spouse.pk},
        actor=coordinator,
    )
    methods = {m.method: m for m in ContactMethod.objects.filter(customer=spouse)}
    assert not methods["email"].is_on and methods["email"].reason == reason
    assert methods["cell_phone"].reason == own_reason  # already off: its own reason stays
    assert TurnOffEvent.objects.filter(customer=spouse, code="email", is_on=False).count() == 1

    customer_unmerge(child=spouse, take_back_fields=[], actor=coordinator)
    methods = {m.method: m for m in ContactMethod.objects.filter(customer=spouse)}
    assert set(methods) == {"cell_phone"} and methods["cell_phone"].reason == own_reason
    assert TurnOffEvent.objects.filter(customer=spouse, code="email", is_on=True).count() == 1


def test_unmerge_gives_back_own_state_and_keeps_copied_values_unless_taken_back(family, coordinator):
    parent, dup, _ = family
    customer_merge(
        parent=parent,
        children=[dup],
        relationships={dup.pk: DUP},
        fill_fields={"email2": dup.pk, "home_phone": dup.pk},
        actor=coordinator,
    )
    dup = fresh(dup)
    assert set(takeable_fields(dup, fresh(parent))) == {"email2", "home_phone"}

    customer_unmerge(child=dup, take_back_fields=["email2"], actor=coordinator)
    parent, dup = fresh(parent), fresh(dup)
    assert parent.email2 == "" and parent.home_phone == "+13135550177"  # taken back / stays
    assert dup.merge_parent is None and dup.merge_relationship == "" and dup.merged_at is None
    assert dup.merge_snapshot == {}
    assert dup.email2 == "pp@mail.example.com" and dup.home_phone == "+13135550177"
    parent_entry = CustomerHistory.objects.filter(customer=parent, action="unmerge").get()
    assert {"field": "email2", "old": "pp@mail.example.com", "new": ""} in parent_entry.changes
    assert {"field": "merge_child", "old": dup.pk, "new": None} in parent_entry.changes
    assert CustomerHistory.objects.filter(customer=dup, action="unmerge", source=HistorySource.MERGE).exists()


def test_take_back_refused_when_parent_changed_the_value(family, coordinator):
    parent, dup, _ = family
    customer_merge(
        parent=parent, children=[dup], relationships={dup.pk: DUP}, fill_fields={"email2": dup.pk}, actor=coordinator
    )
    Customer.objects.filter(pk=parent.pk).update(email2="new@mail.example.com")
    with pytest.raises(MergeError):
        customer_unmerge(child=dup, take_back_fields=["email2"], actor=coordinator)
    assert fresh(dup).merge_parent_id == parent.pk  # nothing changed


def test_unmerge_keeps_values_the_dms_changed_after_the_merge(family, coordinator):
    parent, dup, _ = family
    customer_merge(parent=parent, children=[dup], relationships={dup.pk: DUP}, actor=coordinator)
    # The nightly sync updates the child by its own DMS number and writes history.
    Customer.objects.filter(pk=dup.pk).update(city="Windsor")
    CustomerHistoryFactory(
        customer=dup,
        source=HistorySource.DMS_SYNC,
        changes=[{"field": "city", "label": "City", "old": "Detroit", "new": "Windsor"}],
    )
    # A value changed without any record is put back to the child's own value.
    Customer.objects.filter(pk=dup.pk).update(first_name="Tampered")
    customer_unmerge(child=dup, take_back_fields=[], actor=coordinator)
    dup = fresh(dup)
    assert dup.city == "Windsor" and dup.first_name == "Patricia"


def test_filled_values_count_as_a_persons_edit_of_the_parent(family, coordinator):
    """DESIGN §6: values filled from a child on the merge screen are a person's edits (the DMS pull keeps them)."""
    parent, dup, _ = family
    Customer.objects.filter(pk=parent.pk).update(user_edited_at={"city": "2020-01-01T00:00:00+00:00"})
    customer_merge(
        parent=parent, children=[dup], relationships={dup.pk: DUP}, fill_fields={"email2": dup.pk}, actor=coordinator
    )
    merged_at = fresh(dup).merged_at
    assert fresh(parent).user_edited_at == {"city": "2020-01-01T00:00:00+00:00", "email2": merged_at.isoformat()}

    customer_unmerge(child=dup, take_back_fields=["email2"], actor=coordinator)
    taken_back_at = CustomerHistory.objects.get(customer=parent, action="unmerge").created_at
    assert fresh(parent).user_edited_at["email2"] == taken_back_at.isoformat()


def test_applied_turn_off_of_the_preferred_method_clears_it_and_unmerge_gives_it_back(family, coordinator):
    parent, _dup, spouse = family
    reason = TurnOffReasonFactory()
    ContactMethodFactory(customer=parent, method=ContactMethodKind.EMAIL, is_on=False, reason=reason)
    Customer.objects.filter(pk=spouse.pk).update(preferred_contact_method=ContactMethodKind.EMAIL)

    customer_merge(
        parent=parent,
        children=[spouse],
        relationships={spouse.pk: Relationship.SPOUSE},
        apply_turn_offs={spouse.pk},
        actor=coordinator,
    )
    assert fresh(spouse).preferred_contact_method == ""  # the star never sits on a method that is off
    entry = CustomerHistory.objects.get(customer=spouse)  # one entry: the writer's changes join the merge's
    assert entry.action == "merge"
    assert {
        "field": "contact_method:email",
        "old": {"on": True, "reason": None},
        "new": {"on": False, "reason": reason.pk},
    } in entry.changes
    assert {"field": "preferred_contact_method", "old": "email", "new": ""} in entry.changes

    customer_unmerge(child=spouse, take_back_fields=[], actor=coordinator)
    spouse = fresh(spouse)
    assert spouse.preferred_contact_method == "email"
    assert not ContactMethod.objects.filter(customer=spouse).exists()
    changes = CustomerHistory.objects.get(customer=spouse, action="unmerge").changes
    assert {
        "field": "contact_method:email",
        "old": {"on": False, "reason": reason.pk},
        "new": {"on": True, "reason": None},
    } in changes
    assert {"field": "preferred_contact_method", "old": "", "new": "email"} in changes


def test_unmerge_keeps_a_contact_method_changed_on_the_child_since_the_merge(family, coordinator):
    parent, _dup, spouse = family
    customer_merge(parent=parent, children=[spouse], relationships={spouse.pk: Relationship.FRIEND}, actor=coordinator)
    reason = TurnOffReasonFactory()
    contact_method_set(customer=fresh(spouse), method="cell_phone", is_on=False, reason=reason, actor=coordinator)

    customer_unmerge(child=spouse, take_back_fields=[], actor=coordinator)
    row = ContactMethod.objects.get(customer=spouse)
    assert (row.method, row.is_on, row.reason_id) == ("cell_phone", False, reason.pk)


def test_unmerge_keeps_a_value_a_person_stamped_since_the_merge(family, coordinator):
    """Changed since the merge is read from raw data: history keys, or the user_edited_at stamp."""
    parent, dup, _ = family
    customer_merge(parent=parent, children=[dup], relationships={dup.pk: DUP}, actor=coordinator)
    later = (fresh(dup).merged_at + timedelta(minutes=5)).isoformat()
    Customer.objects.filter(pk=dup.pk).update(first_name="Trish", user_edited_at={"first_name": later})
    customer_unmerge(child=dup, take_back_fields=[], actor=coordinator)
    assert fresh(dup).first_name == "Trish"


def test_unmerge_never_puts_the_star_back_on_a_value_gone_since_the_merge(family, coordinator):
    parent, dup, _ = family
    Customer.objects.filter(pk=dup.pk).update(preferred_contact_method=ContactMethodKind.HOME_PHONE)
    customer_merge(parent=parent, children=[dup], relationships={dup.pk: DUP}, actor=coordinator)
    Customer.objects.filter(pk=dup.pk).update(home_phone="")
    CustomerHistoryFactory(
        customer=dup, source=HistorySource.DMS_SYNC, changes=[{"field": "home_phone", "old": "+13135550177", "new": ""}]
    )
    customer_unmerge(child=dup, take_back_fields=[], actor=coordinator)
    dup = fresh(dup)
    assert (dup.home_phone, dup.preferred_contact_method) == ("", "")
    changes = CustomerHistory.objects.get(customer=dup, action="unmerge").changes
    assert {"field": "preferred_contact_method", "old": "home_phone", "new": ""} in changes


@pytest.mark.parametrize(
    "case",
    [
        "self",
        "other_store",
        "parent_is_child",
        "child_is_child",
        "child_is_parent",
        "relationship",
        "dup_turn_offs",
        "fill_not_empty",
        "fill_from_outsider",
        "fill_empty_source",
        "no_children",
        "tenant",
    ],
)
def test_merge_is_validated_and_changes_nothing_when_refused(case, family, coordinator, us_store, ca_store):
    parent, dup, spouse = family
    kwargs = {"parent": parent, "children": [dup], "relationships": {dup.pk: DUP}, "actor": coordinator}
    if case == "self":
        kwargs.update(children=[parent], relationships={parent.pk: DUP})
    elif case == "other_store":
        foreign = CustomerFactory(dealership=ca_store)
        kwargs.update(children=[foreign], relationships={foreign.pk: DUP})
    elif case == "parent_is_child":
        grand = CustomerFactory(dealership=us_store)
        Customer.objects.filter(pk=parent.pk).update(merge_parent=grand, merge_relationship=DUP)
    elif case == "child_is_child":
        Customer.objects.filter(pk=dup.pk).update(merge_parent=spouse, merge_relationship=DUP)
    elif case == "child_is_parent":
        Customer.objects.filter(pk=spouse.pk).update(merge_parent=dup, merge_relationship=DUP)
    elif case == "relationship":
        kwargs.update(relationships={dup.pk: "enemy"})
    elif case == "dup_turn_offs":
        kwargs.update(apply_turn_offs={dup.pk})
    elif case == "fill_not_empty":
        kwargs.update(fill_fields={"first_name": dup.pk})
    elif case == "fill_from_outsider":
        kwargs.update(fill_fields={"email2": spouse.pk})
    elif case == "fill_empty_source":
        Customer.objects.filter(pk=dup.pk).update(email2="")
        kwargs.update(fill_fields={"email2": dup.pk})
    elif case == "no_children":
        kwargs.update(children=[], relationships={})
    elif case == "tenant":
        kwargs.update(actor=UserFactory())
    before = {c.pk: (c.merge_parent_id, c.email2, c.version) for c in Customer.objects.all()}
    with pytest.raises(MergeError):
        customer_merge(**kwargs)
    assert {c.pk: (c.merge_parent_id, c.email2, c.version) for c in Customer.objects.all()} == before
    assert not CustomerHistory.objects.filter(source=HistorySource.MERGE).exists()


def test_failure_mid_merge_rolls_everything_back(family, coordinator, monkeypatch):
    parent, dup, spouse = family
    reason = TurnOffReasonFactory()
    ContactMethodFactory(customer=parent, method=ContactMethodKind.EMAIL, is_on=False, reason=reason)
    real = merge_module._history
    calls = []

    def failing_history(customer, **kwargs):
        calls.append(customer.pk)
        if len(calls) == 3:  # parent and first child written, then the third history write fails
            raise RuntimeError("database went away")
        return real(customer, **kwargs)

    monkeypatch.setattr(merge_module, "_history", failing_history)
    with pytest.raises(RuntimeError):
        customer_merge(
            parent=parent,
            children=[dup, spouse],
            relationships={dup.pk: DUP, spouse.pk: Relationship.FAMILY},
            fill_fields={"email2": dup.pk},
            apply_turn_offs={spouse.pk},
            actor=coordinator,
        )
    assert len(calls) == 3
    parent, dup, spouse = fresh(parent), fresh(dup), fresh(spouse)
    assert parent.email2 == "" and parent.version == 1
    assert dup.merge_parent_id is None and spouse.merge_parent_id is None and dup.merge_snapshot == {}
    assert not ContactMethod.objects.filter(customer=spouse).exists()
    assert not TurnOffEvent.objects.exists()
    assert not CustomerHistory.objects.exists()


def test_unmerge_of_a_file_that_is_not_merged_is_refused(us_customer, coordinator):
    with pytest.raises(MergeError):
        customer_unmerge(child=us_customer, take_back_fields=[], actor=coordinator)


# --- the screens ---------------------------------------------------------------------------------------------


def test_select_page_lists_candidates_with_reasons(family, coordinator, client_for):
    parent, dup, _ = family
    Customer.objects.filter(pk=dup.pk).update(cell_phone=parent.cell_phone)
    body = client_for(coordinator).get(reverse("customers:merge", args=[parent.pk])).content.decode()
    assert "Customers Available to be Merged" in body
    assert "Patricia Parent" in body and "Same phone" in body
    for label in ("Duplicate", "Spouse", "Family", "Business", "Friend"):
        assert f">{label}</option>" in body


def test_select_page_adds_a_customer_by_number(family, coordinator, client_for):
    parent, _, spouse = family
    url = reverse("customers:merge", args=[parent.pk])
    body = client_for(coordinator).get(url, {"add": spouse.dms_number}).content.decode()
    assert f'value="{spouse.pk}"' in body and "Added by number" in body


def test_review_shows_side_by_side_and_turn_off_question(family, coordinator, client_for):
    parent, dup, spouse = family
    ContactMethodFactory(customer=parent, method=ContactMethodKind.EMAIL, is_on=False)
    url = reverse("customers:merge_review", args=[parent.pk])
    response = client_for(coordinator).get(
        url, {"children": [dup.pk, spouse.pk], f"relationship_{dup.pk}": DUP, f"relationship_{spouse.pk}": "spouse"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="fill_email2" value="{dup.pk}"' in body
    assert 'name="fill_first_name"' not in body  # the parent has a first name: nothing to fill
    assert f'name="apply_turn_offs_{spouse.pk}"' in body
    assert f'name="apply_turn_offs_{dup.pk}"' not in body


def test_post_merges_and_redirects_to_parent(family, coordinator, client_for):
    parent, dup, spouse = family
    response = client_for(coordinator).post(
        reverse("customers:merge", args=[parent.pk]),
        {
            "children": [dup.pk, spouse.pk],
            f"relationship_{dup.pk}": "duplicate",
            f"relationship_{spouse.pk}": "friend",
            "fill_email2": str(dup.pk),
            "fill_home_phone": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("customers:profile", args=[parent.pk])
    assert fresh(parent).email2 == "pp@mail.example.com" and fresh(parent).home_phone == ""
    assert fresh(dup).merge_relationship == "duplicate" and fresh(spouse).merge_relationship == "friend"


def test_post_with_invalid_relationship_rerenders_and_changes_nothing(family, coordinator, client_for):
    parent, dup, _ = family
    response = client_for(coordinator).post(
        reverse("customers:merge", args=[parent.pk]), {"children": [dup.pk], f"relationship_{dup.pk}": "enemy"}
    )
    assert response.status_code == 400
    assert fresh(dup).merge_parent_id is None


def test_unmerge_screen(family, coordinator, client_for):
    parent, dup, _ = family
    customer_merge(
        parent=parent, children=[dup], relationships={dup.pk: DUP}, fill_fields={"email2": dup.pk}, actor=coordinator
    )
    client = client_for(coordinator)
    url = reverse("customers:unmerge", args=[dup.pk])
    body = client.get(url).content.decode()
    assert 'name="take_back" value="email2"' in body
    response = client.post(url, {"take_back": ["email2"]})
    assert response.status_code == 302
    assert fresh(dup).merge_parent_id is None and fresh(parent).email2 == ""


# --- tenancy: foreign ids are 404 and change nothing ---------------------------------------------------------


@pytest.fixture
def foreign(ca_store):
    return CustomerFactory(dealership=ca_store)


def test_foreign_parent_is_404_everywhere(us_coordinator, foreign, client_for):
    client = client_for(us_coordinator)
    assert client.get(reverse("customers:merge", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("customers:merge_review", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("customers:merge", args=[foreign.pk]), {"children": []}).status_code == 404
    assert client.get(reverse("customers:unmerge", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("customers:unmerge", args=[foreign.pk])).status_code == 404


def test_foreign_child_is_404_and_nothing_changes(us_coordinator, us_customer, foreign, client_for):
    client = client_for(us_coordinator)
    data = {"children": [foreign.pk], f"relationship_{foreign.pk}": "duplicate"}
    assert client.post(reverse("customers:merge", args=[us_customer.pk]), data).status_code == 404
    assert client.get(reverse("customers:merge_review", args=[us_customer.pk]), data).status_code == 404
    assert client.get(reverse("customers:merge", args=[us_customer.pk]), {"children": foreign.pk}).status_code == 404
    assert fresh(foreign).merge_parent_id is None
    assert not CustomerHistory.objects.exists() and not Inquiry.objects.exists()


def test_foreign_parent_of_a_merged_child_cannot_be_unmerged(us_coordinator, ca_store, client_for):
    parent = CustomerFactory(dealership=ca_store)
    child = CustomerFactory(dealership=ca_store, merge_parent=parent, merge_relationship=DUP)
    response = client_for(us_coordinator).post(reverse("customers:unmerge", args=[child.pk]))
    assert response.status_code == 404
    assert fresh(child).merge_parent_id == parent.pk


def test_merging_a_file_of_another_of_my_stores_is_refused(coordinator, us_customer, ca_customer, client_for):
    client = client_for(coordinator)
    data = {"children": [ca_customer.pk], f"relationship_{ca_customer.pk}": "duplicate"}
    response = client.post(reverse("customers:merge", args=[us_customer.pk]), data, follow=True)
    assert "Only files of this customer&#x27;s store" in response.content.decode()
    assert fresh(ca_customer).merge_parent_id is None


def test_review_without_a_pick_goes_back_to_the_list(family, coordinator, client_for):
    parent, _, _ = family
    response = client_for(coordinator).get(reverse("customers:merge_review", args=[parent.pk]), follow=True)
    assert "Pick at least one customer to merge." in response.content.decode()


def test_merge_page_of_a_child_points_to_its_parent(family, coordinator, client_for):
    parent, dup, _ = family
    customer_merge(parent=parent, children=[dup], relationships={dup.pk: DUP}, actor=coordinator)
    body = client_for(coordinator).get(reverse("customers:merge", args=[dup.pk])).content.decode()
    assert "This file is merged into" in body and reverse("customers:unmerge", args=[dup.pk]) in body
