"""Hostile input through every form of the app, posted over HTTP to the real views.

The forms are found by introspection (every `forms.Form` subclass of the app's form modules); a form missing
from HOW_TO_SEND fails `test_every_form_is_covered`, so a new form is covered by construction. Each text field
(every CharField, hidden ones included) receives hypothesis-generated hostile text: XSS payloads, very long
strings, control characters (NUL, ESC, ...), RTL overrides and emoji. Forms without a text field get the hostile
text in their choice fields instead. The answer is never a 500 and no page (the answer itself, or the pages a
saved value shows on) carries the raw markup.
"""

import importlib
import inspect
import itertools
import uuid
from dataclasses import dataclass

import pytest
from django import forms
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from contacts.models import ConsentBasis
from customers.fields import EDIT_FIELDS
from customers.forms import form_data_value
from customers.models import Customer, Relationship, VinContactType
from customers.services.merge import customer_merge
from dms_sync.models import Suppression
from dms_sync.outbox import suppression_add
from tests.customers.factories import CustomerFactory, TurnOffReasonFactory, VehicleFactory

from .hostile import BOUNDED, assert_escaped, hostile_text

FORM_MODULES = ["customers.forms", "customers.forms_merge", "customers.forms_new", "contacts.forms"]


def app_forms() -> dict[str, type[forms.Form]]:
    found = {}
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, forms.BaseForm) and obj.__module__ == module_name:
                found[f"{module_name}.{name}"] = obj
    return found


def text_fields(form_class) -> list[str]:
    return [name for name, field in form_class.base_fields.items() if isinstance(field, forms.CharField)]


def hostile_targets(form_class) -> list[str]:
    """The text fields, or every field when the form has none (choices get hostile values too)."""
    return text_fields(form_class) or list(form_class.base_fields)


@dataclass
class Env:
    client: object
    user: object
    store: object
    customer: Customer
    other: Customer
    merge_kid: Customer
    merged_child: Customer
    vehicle: object
    reason: object

    def fresh(self) -> Customer:
        return Customer.objects.get(pk=self.customer.pk)

    def suppression(self) -> Suppression:
        """A removed value of the customer to lift (made again after a send lifted it)."""
        return suppression_add(customer=self.customer, field="home_phone", value="+13135550199", actor=self.user)


def _edit(env):
    customer = env.fresh()
    data = {}
    for name in EDIT_FIELDS:
        value = form_data_value(customer, name)
        if value is not None:
            data[name] = value
    from customers.forms import original_sign

    data["version"] = str(customer.version)
    data["original"] = original_sign(customer)
    return "post", reverse("customers:edit", args=[customer.pk]), data


_NEW_PHONES = itertools.count(100)


def _new_customer(env):
    """A fresh New customer form each time (its one-time token), with a phone no file of the store has."""
    data = {
        "dealership": env.store.pk,
        "token": str(uuid.uuid4()),
        "kind": "person",
        "status": "active",
        "first_name": "Nora",
        "last_name": "Newcomer",
        "cell_phone": f"(248) 555-{next(_NEW_PHONES) % 10000:04d}",
    }
    return "post", reverse("customers:new"), data


# How each form is sent: (method, url, valid base data) from the shared objects. Hostile text replaces one field.
HOW_TO_SEND = {
    "customers.forms.CustomerEditForm": _edit,
    "customers.forms.RemoveForm": lambda env: (
        "post",
        reverse("customers:remove", args=[env.customer.pk, "email2"]),
        {"value": env.fresh().email2},
    ),
    "customers.forms.SuppressionLiftForm": lambda env: (
        "post",
        reverse("customers:suppression_lift", args=[env.customer.pk, env.suppression().pk]),
        {"reason": "the customer confirmed the number"},
    ),
    "customers.forms.ContactMethodForm": lambda env: (
        "post",
        reverse("customers:contact_method", args=[env.customer.pk]),
        {"method": "email", "is_on": "off", "reason": env.reason.pk},
    ),
    "customers.forms.PreferredMethodForm": lambda env: (
        "post",
        reverse("customers:preferred_method", args=[env.customer.pk]),
        {"preferred_contact_method": "email"},
    ),
    "customers.forms.VinContactTypeForm": lambda env: (
        "post",
        reverse("customers:vin_type", args=[env.customer.pk, env.vehicle.pk, VinContactType.CSI]),
        {"is_on": "off", "reason": env.reason.pk, "comment": "called twice"},
    ),
    "customers.forms.AssociationAddForm": lambda env: (
        "post",
        reverse("customers:association_add", args=[env.customer.pk]),
        {"other": env.other.pk, "relationship": "family", "note": "brother"},
    ),
    "customers.forms_merge.MergeSelectForm": lambda env: (
        "get",
        reverse("customers:merge_review", args=[env.customer.pk]),
        {"children": [env.merge_kid.pk], f"relationship_{env.merge_kid.pk}": Relationship.FAMILY},
    ),
    "customers.forms_merge.MergeConfirmForm": lambda env: (
        "post",
        reverse("customers:merge", args=[env.customer.pk]),
        {"children": [env.merge_kid.pk], f"relationship_{env.merge_kid.pk}": "not-a-relationship"},
    ),
    "customers.forms_merge.UnmergeForm": lambda env: (
        "post",
        reverse("customers:unmerge", args=[env.merged_child.pk]),
        {"take_back": ["nope"]},
    ),
    "customers.forms_new.NewCustomerForm": _new_customer,
    "contacts.forms.CallSelectForm": lambda env: (
        "get",
        reverse("contacts:call_select"),
        {"dealership": env.store.pk, "contact_type": VinContactType.CSI, "limit": 50, "city": "Detroit"},
    ),
    "contacts.forms.BounceReportForm": lambda env: (
        "get",
        reverse("contacts:bounce_report"),
        {"dealership": env.store.pk, "date_from": "2026-01-01", "date_to": "2026-02-01"},
    ),
    "contacts.forms.ContactLogForm": lambda env: (
        "post",
        reverse("contacts:contact_log", args=[env.customer.pk]),
        {"channel": "phone_out", "contact_type": "maintenance", "result": "left_message", "note": "voicemail"},
    ),
    "contacts.forms.EmailConsentForm": lambda env: (
        "post",
        reverse("contacts:consent", args=[env.customer.pk]),
        {
            "email": env.fresh().email1.lower(),
            "basis": ConsentBasis.EXPRESS,
            "source": "front desk",
            "evidence": "signed card",
            "obtained_on": "2025-06-01",
        },
    ),
}

# Pages on which a customer's saved values show: checked after every accepted (redirected) POST.
SHOW_PAGES = ["customers:edit", "customers:profile"]


def test_every_form_is_covered():
    found = set(app_forms())
    assert found, "no forms found: FORM_MODULES is stale"
    missing = sorted(found - set(HOW_TO_SEND))
    assert not missing, f"add these forms to HOW_TO_SEND in {__file__}: {missing}"
    assert not set(HOW_TO_SEND) - found, "HOW_TO_SEND names forms that no longer exist"


def test_every_form_gets_hostile_text_somewhere():
    """Every form has at least one target, and the text fields are the targets where there are any."""
    for name, form_class in app_forms().items():
        assert hostile_targets(form_class), name


@pytest.fixture
def env(client, us_store, us_coordinator):
    client.force_login(us_coordinator)
    customer = CustomerFactory(dealership=us_store, email1="ann@mail.example.com", email2="ann2@mail.example.com")
    other = CustomerFactory(dealership=us_store)
    merge_kid = CustomerFactory(dealership=us_store)
    parent = CustomerFactory(dealership=us_store)
    merged_child = CustomerFactory(dealership=us_store, home_phone="")
    customer_merge(
        parent=parent,
        children=[merged_child],
        relationships={merged_child.pk: Relationship.FAMILY},
        actor=us_coordinator,
    )
    return Env(
        client=client,
        user=us_coordinator,
        store=us_store,
        customer=customer,
        other=other,
        merge_kid=merge_kid,
        merged_child=merged_child,
        vehicle=VehicleFactory(customer=customer),
        reason=TurnOffReasonFactory(dealership=us_store),
    )


def _send(env, form_name, field, value):
    method, url, data = HOW_TO_SEND[form_name](env)
    data = dict(data)
    data[field] = value
    response = getattr(env.client, method)(url, data)
    where = f"{method.upper()} {url} {form_name}.{field}={value[:60]!r}"
    assert_escaped(response, where)
    if response.status_code == 302:
        for page in SHOW_PAGES:
            assert_escaped(env.client.get(reverse(page, args=[env.customer.pk])), f"{page} after {where}")
        location = response["Location"]  # where the saved value shows too (e.g. a new file's profile)
        assert_escaped(env.client.get(location), f"{location} after {where}")
    return response


FORMS = sorted(HOW_TO_SEND)


@pytest.mark.django_db
@pytest.mark.parametrize("form_name", FORMS)
def test_hostile_text_in_every_field_is_escaped_and_never_a_500(env, form_name):
    form_class = app_forms()[form_name]
    targets = hostile_targets(form_class)

    @BOUNDED
    @given(field=st.sampled_from(targets), value=hostile_text)
    def check(field, value):
        _send(env, form_name, field, value)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("form_name", FORMS)
def test_the_base_data_of_each_form_is_accepted(env, form_name):
    """The hostile runs start from data the view accepts, so a rejection is the hostile field's doing."""
    method, url, data = HOW_TO_SEND[form_name](env)
    response = getattr(env.client, method)(url, data)
    expected = {"customers.forms_merge.MergeConfirmForm": 400, "customers.forms_merge.UnmergeForm": 400}
    assert response.status_code == expected.get(form_name, 302 if method == "post" else 200), form_name


@pytest.mark.django_db
def test_a_saved_xss_name_is_escaped_everywhere_it_shows(env):
    """A payload that validates (it fits the field) is stored as typed and shown as text, not markup."""
    payload = "<script>alert('dm-xss')</script>"[:40]
    _send(env, "customers.forms.CustomerEditForm", "last_name", payload)
    customer = env.fresh()
    assert customer.last_name == payload
    for page in ["customers:edit", "customers:profile"]:
        body = env.client.get(reverse(page, args=[customer.pk])).content.decode()
        assert "&lt;script&gt;alert(&#x27;dm-xss&#x27;)&lt;/script&gt;" in body
    listing = env.client.get(reverse("customers:search"), {"q": "script"})
    assert_escaped(listing, "search")


# Free-text query parameters that are not form fields but reach selectors or templates.
QUERY_PARAMS = [
    ("customers:list", None, "q"),
    ("customers:search", None, "q"),
    ("customers:edit", "customer", "assoc_q"),
    ("customers:edit", "customer", "history_page"),
    ("customers:profile", "customer", "page"),
    ("customers:merge", "customer", "add"),
    ("contacts:consent", "customer", "email"),
    ("contacts:contact_history", "customer", "page"),
    ("contacts:contact_log", "customer", "next"),
    ("contacts:contact_log", "customer", "vehicle"),
    ("postal:lookup", None, "code"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "obj", "param"), QUERY_PARAMS, ids=[f"{n}?{p}" for n, _o, p in QUERY_PARAMS])
def test_hostile_query_parameters_are_never_a_500(env, name, obj, param):
    url = reverse(name, args=[env.customer.pk] if obj else None)

    @BOUNDED
    @given(value=hostile_text)
    def check(value):
        assert_escaped(env.client.get(url, {param: value}), f"GET {url}?{param}={value[:60]!r}")

    check()


# hypothesis' from_form where the form's fields are all plain (no querysets): whole valid-looking submissions,
# the text fields hostile, so many of them are accepted and the stored values are rendered back.
FROM_FORM = {
    "contacts.forms.EmailConsentForm": (
        lambda env: {"customer": env.fresh()},
        lambda env: reverse("contacts:consent", args=[env.customer.pk]),
        "post",
    ),
    "contacts.forms.CallSelectForm": (
        lambda env: {"user": env.user},
        lambda env: reverse("contacts:call_select"),
        "get",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("form_name", sorted(FROM_FORM))
def test_whole_generated_submissions_from_form_are_escaped_and_never_a_500(env, form_name):
    from hypothesis.extra.django import from_form

    form_class = app_forms()[form_name]
    kwargs_for, url_for, method = FROM_FORM[form_name]
    hostile = dict.fromkeys(text_fields(form_class), hostile_text)
    accepted = []

    @BOUNDED
    @given(data=st.data())
    def check(data):
        form = data.draw(from_form(form_class, form_kwargs=kwargs_for(env), **hostile))
        url = url_for(env)
        response = getattr(env.client, method)(url, form.data)
        assert_escaped(response, f"{method.upper()} {url} {dict(form.data)!r:.200}")
        if response.status_code == 302:
            accepted.append(form.data)
            assert_escaped(env.client.get(url), f"GET {url} after saving")

    check()
    if method == "post":
        assert accepted, "no generated submission was accepted: the generator only exercises the error path"


def test_the_escaping_check_catches_raw_markup_and_500s():
    """The oracle itself: a page with the raw payload, or a 500, fails it; the escaped page passes."""
    from django.http import HttpResponse
    from django.utils.html import escape

    payload = "<script>alert('dm-xss')</script>"
    with pytest.raises(AssertionError, match="unescaped"):
        assert_escaped(HttpResponse(f"<p>{payload}</p>"), "raw")
    with pytest.raises(AssertionError, match="HTTP 500"):
        assert_escaped(HttpResponse("boom", status=500), "500")
    assert_escaped(HttpResponse(f"<p>{escape(payload)}</p>"), "escaped")
