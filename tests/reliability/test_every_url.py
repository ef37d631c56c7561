"""Every URL of the project (the URL matrix, read from the resolver) as its owner: a GET changes nothing, and no
hostile query parameter or form field is ever a 500 (docs/RELIABILITY.md, "Hostile input" and "A GET changes
nothing"). Run on SQLite and PostgreSQL by CI; PostgreSQL is where a NUL in `?q=` used to be an HTTP 500.

Each page is rendered and read (tests/support/page_inputs.py): its forms (GET and POST, the nav bar's included)
and the query parameters of its links are the inputs; the parameters the views read that no page shows (the
postal lookup's `code`, pagination) are declared in VIEW_PARAMS, and a test keeps that list complete. Each input
gets each hostile value in turn, the other inputs keeping the values the page gave them.
"""

import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.forms.models import model_to_dict
from django.urls import Resolver404, resolve, reverse

from customers.models import Relationship
from customers.services.merge import customer_merge
from tests.customers.factories import AssociationFactory, CustomerFactory, VehicleFactory
from tests.dms_sync.factories import SuppressionFactory
from tests.support.page_inputs import page_inputs
from tests.test_url_matrix import ROUTES

from .conftest import summary

ROOT = Path(__file__).resolve().parents[2]

# The hostile values of the issue: NUL (PostgreSQL refuses it in text), lone surrogates (not encodable as UTF-8;
# sent as the bytes Python's surrogatepass gives), a 10,000-character string, RTL overrides, and LIKE wildcards.
HOSTILE = {
    "nul": "nul\x00inside\x00",
    "surrogate": "\ud800lone\udfff",
    "10k": "A" * 10_000,
    "rtl-percent-underscore": "\u202eevil\u202c %_%\\_' 100%",
}

# Query parameters views read straight from request.GET that no rendered page carries in a form or link
# (test_every_query_parameter_a_view_reads_is_declared keeps this complete).
VIEW_PARAMS = {
    "customers:list": ["q", "page"],
    "customers:search": ["q"],
    "customers:profile": ["page"],
    "customers:edit": ["assoc_q", "history_page"],
    "customers:merge": ["add", "children"],
    "customers:merge_review": ["children"],
    "customers:remove": ["next"],
    "contacts:consent": ["email"],
    "contacts:call_select": ["contact_type"],
    "contacts:bounce_report": ["dealership", "export"],
    "postal:lookup": ["code", "country"],
}
# Pages that show more forms with a query: the association finder lists candidates to add; the merge review
# shows the confirm form once a child is picked.
PAGE_VARIANTS = {
    "customers:edit": [lambda objects: {"assoc_q": "Owner"}],
    "customers:merge_review": [
        lambda objects: {"children": objects["candidate_pk"], f"relationship_{objects['candidate_pk']}": "duplicate"}
    ],
}
# Forms whose POST ends the session: sending them would leave the rest of the run logged out.
SKIP_FORMS = {"logout"}
# The nav bar's forms are on every page: fuzzed once, on the customer list.
NAV_FORMS = {"customers:search", "customers:switch_store"}
VIEW_MODULES = ["customers/views", "contacts/views"]
GET_READ = re.compile(
    r"request\.GET(?:\.get|\.getlist)?\(\s*[\"'](\w+)|request\.GET\[\s*[\"'](\w+)|[\"'](\w+)[\"']\s+in\s+request\.GET"
)


def _encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _urlencode(data: dict[str, list[str]]) -> str:
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, values in data.items() for value in values)


def _name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def all_tables() -> dict:
    """Every row of every table but the sessions (each request refreshes its session's expiry by design)."""
    state = {}
    for model in apps.get_models():
        if model is Session or not model._meta.managed:
            continue
        rows = (tuple(sorted((k, str(v)) for k, v in model_to_dict(obj).items())) for obj in model.objects.all())
        state[model._meta.label] = sorted(rows)
    return state


def own_objects(user, us_store) -> dict:
    """Objects of the user's own store, so every page renders in full (with its forms)."""
    customer = CustomerFactory(
        dealership=us_store, last_name="Owner", email1="own@mail.example.com", cell_phone="+13135550101"
    )
    other = CustomerFactory(dealership=us_store, last_name="Owner-friend")
    parent = CustomerFactory(dealership=us_store, last_name="Owner-parent", email2="")
    child = CustomerFactory(dealership=us_store, last_name="Owner-child", email2="kid@mail.example.com")
    # Email 2 filled from the child, so the unmerge page offers to take it back (a form field to fuzz).
    customer_merge(
        parent=parent,
        children=[child],
        relationships={child.pk: Relationship.FAMILY},
        fill_fields={"email2": child.pk},
        actor=user,
    )
    candidate = CustomerFactory(dealership=us_store, last_name="Owner", cell_phone="+13135550101")
    return {
        "pk": customer.pk,
        "vehicle_pk": VehicleFactory(customer=customer).pk,
        "association_pk": AssociationFactory(from_customer=customer, to_customer=other).pk,
        "suppression_pk": SuppressionFactory(customer=customer, field="home_phone", value="+13135550198").pk,
        "child_pk": child.pk,
        "candidate_pk": candidate.pk,
    }


@pytest.fixture
def own(coordinator, us_store):
    return own_objects(coordinator, us_store)


def _route_url(name, objects) -> str:
    route = ROUTES[name]
    kwargs = {
        k: objects["child_pk"] if (name, k) == ("customers:unmerge", "pk") else objects[k] for k in route.object_kwargs
    }
    return reverse(name, kwargs=(kwargs | route.extra) or None)


# --- a GET changes nothing -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_get_changes_no_table(client_for, coordinator, own, name):
    """GET every URL as its owner, as a page and as a script, with its query: every table is as it was."""
    client = client_for(coordinator)
    url = _route_url(name, own)
    before = all_tables()
    for headers in ({}, {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}):
        response = client.get(url, ROUTES[name].query, **headers)
        assert response.status_code < 500, f"GET {url}"
    assert all_tables() == before, f"GET {url} changed data"


# --- hostile values in every input of every page ---------------------------------------------------------------


class Sender:
    """Sends one request per (input, hostile value); counts answers and keeps every 500 (never raises)."""

    def __init__(self, client):
        self.client = client
        self.client.raise_request_exception = False
        self.statuses: Counter = Counter()
        self.inputs: set = set()
        self.failures: list[str] = []

    def send(self, method, path, data, name, label):
        body = _urlencode(data)
        if method == "get":
            response = self.client.get(path, QUERY_STRING=body)
        else:
            response = self.client.post(path, body, content_type="application/x-www-form-urlencoded")
        self.statuses[response.status_code] += 1
        self.inputs.add((method, _name(path), name))
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {path} {name}={label}: HTTP {response.status_code}")

    def fuzz(self, method, path, base: dict[str, list[str]], names):
        for name in sorted(names):
            for label, value in HOSTILE.items():
                self.send(method, path, base | {name: [value]}, name, label)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


TOTALS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_totals():
    yield
    if TOTALS["requests"]:
        summary("hostile input, all URLs", **dict(TOTALS))
        TOTALS.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_hostile_values_in_every_parameter_and_field_are_never_a_500(client_for, coordinator, own, name):
    client = client_for(coordinator)
    sender = Sender(client)
    url = _route_url(name, own)
    query = {k: [str(v)] for k, v in ROUTES[name].query.items()}
    forms, links = {}, []
    for variant in [ROUTES[name].query, *(make(own) for make in PAGE_VARIANTS.get(name, []))]:
        page = client.get(url, variant)
        if page.status_code == 200 and "html" in page.get("Content-Type", ""):
            found, more_links = page_inputs(page.content.decode(), url)
            links += more_links
            # One of each form (the contact-method rows are five copies of one form).
            forms |= {(f.method, f.path, tuple(sorted(f.names))): f for f in reversed(found)}
    forms = list(forms.values())

    # GETs first: none of them may change a table, whatever they carry.
    before = all_tables()
    # The page's own parameters: its query, those its view reads, and the fields of the forms it posts to itself
    # (a page may prefill them from the query string).
    own_fields = {n for f in forms if f.method == "post" and _name(f.path) == name for n in f.names}
    own_fields.discard("csrfmiddlewaretoken")
    sender.fuzz("get", url, query, set(query) | set(VIEW_PARAMS.get(name, [])) | own_fields)
    for link in links:
        if _name(link.path) == name:
            sender.fuzz("get", link.path, link.params, link.params)
    for form in forms:
        if form.method == "get" and _name(form.path) is not None:
            sender.fuzz("get", form.path, form.data(), form.names)
    assert all_tables() == before, f"a GET under {url} changed data"

    for form in forms:
        target = _name(form.path)
        if form.method != "post" or target is None or target in SKIP_FORMS:
            continue
        if target in NAV_FORMS and name != "customers:list":
            continue
        sender.fuzz("post", form.path, form.data(), form.names - {"csrfmiddlewaretoken"})
        assert "_auth_user_id" in client.session, f"posting {form.path} logged the user out"

    TOTALS.update(urls=1, inputs=len(sender.inputs), requests=sender.requests, status_500=len(sender.failures))
    summary(
        f"hostile input {name}",
        inputs=len(sender.inputs),
        requests=sender.requests,
        status_500=len(sender.failures),
        statuses=dict(sorted(sender.statuses.items())),
    )
    assert sender.failures == []


def test_every_query_parameter_a_view_reads_is_declared():
    """A view reading a new query parameter must list it in VIEW_PARAMS, so the hostile run sends it."""
    declared = {param for params in VIEW_PARAMS.values() for param in params}
    read = set()
    for folder in VIEW_MODULES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            read |= {next(filter(None, m)) for m in GET_READ.findall(path.read_text())}
    assert read, "the pattern found nothing: VIEW_MODULES or GET_READ is stale"
    assert read - declared == set(), f"declare these in VIEW_PARAMS in {__file__}"
    assert set(VIEW_PARAMS) <= set(ROUTES), "VIEW_PARAMS names a route that no longer exists"
