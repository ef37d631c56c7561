"""Tenant isolation matrix: every URL of the project, called as an outsider.

The URL list comes from the resolver, so a new URL that is missing from ROUTES fails
`test_every_url_is_in_the_matrix` until someone says how to call it: new URLs are covered by construction.
"""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    VehicleFactory,
)
from tests.dms_sync.factories import SuppressionFactory

# Who may call a URL without logging in, and what they get.
PUBLIC_RESPONSES = {
    "login": {200},
    "bounce_webhook": {401, 405},  # signed by the email provider instead of a session
    "language_switch": {302, 405},  # the sign-in page offers it too; it changes only the caller's own language
}


@dataclass(frozen=True)
class Route:
    # Names of the kwargs that identify an object of ANOTHER store, filled from the foreign fixture.
    object_kwargs: tuple = ()
    # Extra literal kwargs (e.g. which field to remove).
    extra: dict = field(default_factory=dict)
    # Query string for GET pages that narrow by a store or a query.
    query: dict = field(default_factory=dict)


ROUTES = {
    "home": Route(),
    "login": Route(),
    "logout": Route(),
    "language_switch": Route(),
    "customers:list": Route(),
    "customers:switch_store": Route(),
    "customers:search": Route(query={"q": "Zzforeign"}),
    "customers:profile": Route(object_kwargs=("pk",)),
    "customers:sales": Route(object_kwargs=("pk",)),
    "customers:search_open": Route(object_kwargs=("pk",)),
    # The store is the object here: ?dealership=<another store> is a 404 (the page test below asks for it).
    "customers:new": Route(query={"q": "Zzforeign"}),
    "customers:new_check": Route(query={"cell_phone": "+14165550199", "last_name": "Zzforeign"}),
    "customers:merge": Route(object_kwargs=("pk",)),
    "customers:merge_review": Route(object_kwargs=("pk",)),
    "customers:unmerge": Route(object_kwargs=("pk",)),
    "customers:edit": Route(object_kwargs=("pk",)),
    "customers:verify": Route(object_kwargs=("pk",)),
    "customers:remove": Route(object_kwargs=("pk",), extra={"field": "cell_phone"}),
    "customers:suppression_lift": Route(object_kwargs=("pk", "suppression_pk")),
    "customers:contact_method": Route(object_kwargs=("pk",)),
    "customers:preferred_method": Route(object_kwargs=("pk",)),
    "customers:vin_type": Route(object_kwargs=("pk", "vehicle_pk"), extra={"code": "csi"}),
    "customers:association_add": Route(object_kwargs=("pk",)),
    "customers:association_remove": Route(object_kwargs=("pk", "association_pk")),
    "postal:lookup": Route(query={"code": "M5V 3L9", "country": "CA"}),
    "contacts:call_select": Route(),
    "contacts:call_select_export": Route(query={"contact_type": "maintenance", "limit": 50, "sort": "star_desc"}),
    "contacts:bounce_report": Route(),
    "contacts:bounce_webhook": Route(),
    "contacts:consent": Route(object_kwargs=("pk",)),
    "contacts:contact_history": Route(object_kwargs=("pk",)),
    "contacts:contact_log": Route(object_kwargs=("pk",)),
}


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns == "admin":
                continue
            yield from _walk(p.url_patterns, ns if p.namespace else namespace)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}:{p.name}" if namespace else p.name), p


def project_url_names():
    return [name for name, _ in _walk(get_resolver().url_patterns)]


def test_every_url_is_in_the_matrix():
    names = project_url_names()
    assert None not in names and all(":None" not in n for n in names), "every URL needs a name"
    missing = sorted(set(names) - set(ROUTES))
    assert not missing, f"add these URLs to ROUTES in {__file__}: {missing}"
    stale = sorted(set(ROUTES) - set(names))
    assert not stale, f"these ROUTES no longer exist: {stale}"


@pytest.fixture
def foreign(ca_store):
    """Objects of the Canadian store, which the US coordinator must never reach."""
    customer = CustomerFactory(dealership=ca_store, last_name="Zzforeign", cell_phone="+14165550199")
    other = CustomerFactory(dealership=ca_store, last_name="Zzforeign-friend")
    vehicle = VehicleFactory(customer=customer)
    association = AssociationFactory(from_customer=customer, to_customer=other)
    suppression = SuppressionFactory(customer=customer, field="home_phone", value="+14165550198")
    return {
        "pk": customer.pk,
        "vehicle_pk": vehicle.pk,
        "association_pk": association.pk,
        "suppression_pk": suppression.pk,
        "customer": customer,
    }


def _url(name, route, objects):
    kwargs = {k: objects[k] for k in route.object_kwargs} | route.extra
    return reverse(name, kwargs=kwargs or None)


def _snapshot():
    """Every row of the project's own tables, so 'nothing changed' is checked, not assumed."""
    state = {}
    for app in ("customers", "contacts", "dms_sync"):
        for model in apps.get_app_config(app).get_models():
            state[model._meta.label] = sorted(
                (tuple(sorted((k, str(v)) for k, v in model_to_dict(obj).items())) for obj in model.objects.all()),
            )
    return state


OBJECT_ROUTES = sorted(name for name, r in ROUTES.items() if r.object_kwargs)
PAGE_ROUTES = sorted(name for name, r in ROUTES.items() if not r.object_kwargs)
AS_SCRIPT = {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}


@pytest.mark.django_db
@pytest.mark.parametrize("name", OBJECT_ROUTES)
@pytest.mark.parametrize("as_script", [False, True], ids=["form", "script"])
def test_a_foreign_object_id_is_404_for_get_and_post_and_nothing_changes(
    client_for, us_coordinator, us_customer, foreign, name, as_script
):
    client = client_for(us_coordinator)
    url = _url(name, ROUTES[name], foreign)
    headers = AS_SCRIPT if as_script else {}
    before = _snapshot()
    # A POST-only action may answer 405 to GET before it looks at the id (and a page 405 to POST); that
    # reveals nothing either. The method the route does accept must be a 404.
    get_status = client.get(url, **headers).status_code
    assert get_status in {404, 405}, f"GET {url}"
    post_data = {
        "relationship": "family",
        "note": "x",
        "reason": "x",
        "to_customer": us_customer.pk,
        "method": "email",
        "is_on": "off",
        "confirm": "yes",
        "children": [us_customer.pk],
    }
    post_status = client.post(url, post_data, **headers).status_code
    assert post_status in {404, 405}, f"POST {url}"
    assert 404 in {get_status, post_status}, f"{url} answered neither GET nor POST with 404"
    assert _snapshot() == before, f"{name} changed data of another store"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_users_are_sent_to_login(client, foreign, name):
    url = _url(name, ROUTES[name], foreign)
    short = name.split(":")[-1]
    for method in ("get", "post"):
        response = getattr(client, method)(url, ROUTES[name].query if method == "get" else {})
        if short in PUBLIC_RESPONSES:
            assert response.status_code in PUBLIC_RESPONSES[short] | {302, 200, 405}
            continue
        if name == "logout":
            # Logging out while logged out just lands on the login page.
            assert response.status_code in {302, 405}
            continue
        assert response.status_code == 302, f"{method.upper()} {url} -> {response.status_code}"
        assert response["Location"].startswith(reverse("login")), response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_ROUTES)
def test_pages_never_show_another_stores_customers(client_for, us_coordinator, us_customer, foreign, ca_store, name):
    if name in {"logout", "login", "language_switch", "contacts:bounce_webhook", "customers:switch_store"}:
        return
    client = client_for(us_coordinator)
    url = _url(name, ROUTES[name], foreign)
    query = dict(ROUTES[name].query)
    query.setdefault("dealership", ca_store.pk)
    response = client.get(url, query, follow=True)
    assert response.status_code in {200, 400, 404}
    body = response.content.decode()
    customer = foreign["customer"]
    assert customer.dms_number not in body
    assert reverse("customers:profile", args=[customer.pk]) not in body
    # The number as either language shows it ((416) 555-0199, 416 555-0199); a US customer of the factory may
    # have 555-0199 in another area code.
    assert customer.cell_phone not in body and "416) 555-0199" not in body and "416 555-0199" not in body


@pytest.mark.django_db
def test_coordinators_never_get_into_admin(client_for, us_coordinator):
    client = client_for(us_coordinator)
    for url in ("/admin/", reverse("admin:customers_customer_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
