"""Property: for random families, merge then unmerge gives every child back exactly its own data and loses
no vehicle, association, bounce, repair order, history or Turn Off history row."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import ContactMethod, EmailBounce
from customers.models import (
    Association,
    ContactMethodKind,
    Customer,
    CustomerHistory,
    RepairOrder,
    TurnOffEvent,
    Vehicle,
)
from customers.services.merge import (
    FILLABLE_FIELDS,
    MERGE_RELATIONSHIPS,
    SNAPSHOT_FIELDS,
    customer_merge,
    customer_unmerge,
    field_value,
    is_empty,
)
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    RepairOrderFactory,
    TurnOffReasonFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

METHODS = [m.value for m in ContactMethodKind]
maybe_text = st.sampled_from(["", "", "Alpha", "Beta"])
maybe_phone = st.sampled_from(["", "+13135550101", "+14165550123"])

customer_spec = st.fixed_dictionaries(
    {
        "middle_name": maybe_text,
        "contact_name": maybe_text,
        "address2": maybe_text,
        "county": maybe_text,
        "home_phone": maybe_phone,
        "work_phone": maybe_phone,
        "fax": maybe_phone,
        "email2": st.sampled_from(["", "two@mail.example.com"]),
        "twitter_handle": st.sampled_from(["", "@dealer"]),
        "language": st.sampled_from(["", "en", "fr"]),
        "vehicles": st.integers(0, 2),
        "ros": st.integers(0, 1),
        "history": st.integers(0, 2),
        "bounced": st.booleans(),
        "methods_off": st.lists(st.sampled_from(METHODS), unique=True, max_size=3),
    }
)

family_spec = st.fixed_dictionaries(
    {
        "parent": customer_spec,
        "children": st.lists(
            st.tuples(customer_spec, st.sampled_from([r.value for r in MERGE_RELATIONSHIPS]), st.booleans()),
            min_size=1,
            max_size=4,
        ),
        "fill_seed": st.integers(0, 10**6),
        "take_back": st.booleans(),
    }
)


def _make(store, spec, reason):
    fields = {k: v for k, v in spec.items() if k in FILLABLE_FIELDS}
    c = CustomerFactory(dealership=store, **fields)
    VehicleFactory.create_batch(spec["vehicles"], customer=c)
    RepairOrderFactory.create_batch(spec["ros"], customer=c)
    CustomerHistoryFactory.create_batch(spec["history"], customer=c)
    if spec["bounced"]:
        EmailBounceFactory(dealership=store, email=c.email1)
    for method in spec["methods_off"]:
        ContactMethodFactory(customer=c, method=method, is_on=False, reason=reason)
    return c


def _own_state(c):
    c = Customer.objects.get(pk=c.pk)
    return (
        {name: field_value(c, name) for name in SNAPSHOT_FIELDS},
        sorted(ContactMethod.objects.filter(customer=c).values_list("method", "is_on", "reason_id", "changed_at")),
        (c.merge_parent_id, c.merge_relationship, c.merged_at, c.merge_snapshot),
    )


def _row_ids():
    return {
        model.__name__: set(model.objects.values_list("pk", flat=True))
        for model in (Vehicle, RepairOrder, Association, EmailBounce, CustomerHistory, TurnOffEvent)
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=family_spec)
def test_merge_then_unmerge_restores_every_child(spec, us_store, coordinator):
    with transaction.atomic():
        reason = TurnOffReasonFactory()
        parent = _make(us_store, spec["parent"], reason)
        children = [_make(us_store, child_spec, reason) for child_spec, _, _ in spec["children"]]
        AssociationFactory(from_customer=parent, to_customer=children[0])
        relationships = {c.pk: rel for c, (_, rel, _) in zip(children, spec["children"], strict=True)}
        apply = {
            c.pk for c, (_, rel, flag) in zip(children, spec["children"], strict=True) if flag and rel != "duplicate"
        }
        # Fill every empty parent field some child has, from a pseudo-randomly chosen child.
        fill = {}
        for i, name in enumerate(FILLABLE_FIELDS):
            sources = [c for c in children if not is_empty(field_value(c, name))]
            if is_empty(field_value(parent, name)) and sources:
                fill[name] = sources[(spec["fill_seed"] + i) % len(sources)].pk

        own_before = {c.pk: _own_state(c) for c in children}
        parent_before = {name: field_value(Customer.objects.get(pk=parent.pk), name) for name in FILLABLE_FIELDS}
        rows_before = _row_ids()

        customer_merge(
            parent=parent,
            children=children,
            relationships=relationships,
            fill_fields=fill,
            apply_turn_offs=apply,
            actor=coordinator,
        )
        merged_parent = Customer.objects.get(pk=parent.pk)
        for name, source in fill.items():
            assert field_value(merged_parent, name) == field_value(Customer.objects.get(pk=source), name)
        for c in children:
            assert Customer.objects.get(pk=c.pk).merge_parent_id == parent.pk

        for c in children:
            take = list(fill) if spec["take_back"] else []
            take = [n for n in take if fill[n] == c.pk]
            customer_unmerge(child=c, take_back_fields=take, actor=coordinator)

        for c in children:
            assert _own_state(c) == own_before[c.pk]
        final_parent = Customer.objects.get(pk=parent.pk)
        for name in FILLABLE_FIELDS:
            expected = (
                parent_before[name] if (spec["take_back"] or name not in fill) else field_value(merged_parent, name)
            )
            assert field_value(final_parent, name) == expected, name
        rows_after = _row_ids()
        for model, ids in rows_before.items():
            assert ids <= rows_after[model], f"{model} rows lost"
        # Merge and unmerge are recorded on every file involved.
        for c in [parent, *children]:
            actions = set(CustomerHistory.objects.filter(customer=c, source="merge").values_list("action", flat=True))
            assert actions == {"merge", "unmerge"}
        transaction.set_rollback(True)
