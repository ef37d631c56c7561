"""What bench/pages.py requests: per page, many requests drawn from the loaded store (seeded), rotated by wrk.

A request is {"method", "path"} plus, for a POST, "body" and "headers" (what a coordinator's browser sends). The
Call Select variants (one per sort other than the default, one per filter) are timed at the goal's user count
only (VARIANT_PREFIXES); the other pages at every user count.
"""

from __future__ import annotations

import random
import string
from urllib.parse import urlencode

SEARCH_KINDS = ["name", "phone", "email", "number", "vin", "postal"]
CONTACT_TYPES = ("maintenance", "csi", "recalls", "confirm_appt")
#: Call Select's filters, each timed apart (the form's parameter names).
CALL_SELECT_FILTERS = ("language", "fleet", "day_night", "city")
#: Pages timed only at the goal's user count (issue 21's goals are at 10 users).
VARIANT_PREFIXES = ("call_select_sort_", "call_select_filter_")
#: The keys new_customer.js leaves out of its check (static/js/new_customer.js).
_CHECK_DROPPED = ("confirmed", "create_anyway")
_BOUNDARY = "----DealerMineBench7MA4YWxkTrZu0gW"


def is_variant(name: str) -> bool:
    return name.startswith(VARIANT_PREFIXES)


def get(path: str) -> dict:
    return {"method": "GET", "path": path}


def csrf_secret() -> str:
    """A CSRF cookie value as Django sets it (32 letters and digits; the form field may carry it as is)."""
    from django.utils.crypto import get_random_string

    return get_random_string(32, allowed_chars=string.ascii_letters + string.digits)


def seed_crm_fields(store) -> dict:
    """The DMS extract carries no fleet flag and no day/night preference (coordinators set both in Customer
    Information), so a freshly loaded store has none and Call Select's fleet and day/night filters would match
    nobody. Set them as a store would have them, deterministically: businesses are fleet; one customer in five
    prefers day, one in five night. Plain UPDATEs, then VACUUM ANALYZE of the table (before the pages are timed)."""
    from django.db import connection

    from customers.models import Customer, CustomerKind

    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET is_fleet = true WHERE dealership_id = %s AND kind = %s",  # noqa: S608 - model table
            [store.pk, CustomerKind.BUSINESS],
        )
        fleet = cursor.rowcount
        cursor.execute(
            f"UPDATE {table} SET day_night = CASE WHEN id %% 5 = 0 THEN 'day' ELSE 'night' END "  # noqa: S608
            "WHERE dealership_id = %s AND id %% 5 IN (0, 1)",
            [store.pk],
        )
        day_night = cursor.rowcount
        cursor.execute(f"VACUUM ANALYZE {table}")
    return {"is_fleet": fleet, "day_night": day_night}


def _multipart(fields: list[tuple[str, str]]) -> tuple[str, str]:
    """A multipart/form-data body as a browser's FormData sends it, and its content type."""
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in fields
    ]
    return "".join(parts) + f"--{_BOUNDARY}--\r\n", f"multipart/form-data; boundary={_BOUNDARY}"


def _new_form_fields(store, csrf: str) -> list[tuple[str, str]]:
    """What `new FormData(form)` holds for a fresh New customer form (templates/customers/new.html)."""
    from django.forms import CheckboxInput

    from customers.forms_new import NewCustomerForm, new_form_initial

    form = NewCustomerForm(dealership=store, initial=new_form_initial(dealership=store))
    fields = [("csrfmiddlewaretoken", csrf), ("dealership", str(store.pk))]
    for name, field in form.fields.items():
        if name in _CHECK_DROPPED:
            continue
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                fields.append((name, "on"))
        elif isinstance(value, list | tuple):
            fields += [(name, str(v)) for v in value]
        else:
            fields.append((name, "" if value is None else str(value)))
    return fields


def _identity_checks(store, sample: list[dict], csrf: str, rng: random.Random) -> list[dict]:
    """POST /customers/new/check/ as static/js/new_customer.js sends it (FormData of the whole form, fetch with
    Accept: application/json), with the identity keys typed: half an existing customer's own (the check finds and
    lists the file), half an existing name with a new phone and e-mail (the usual new customer)."""
    from django.urls import reverse

    base = _new_form_fields(store, csrf)
    url = reverse("customers:new_check")
    out = []
    for i, c in enumerate(sample[:100]):
        phone = c["cell_phone"] or c["home_phone"]
        if not (c["last_name"] and phone):
            continue
        if i % 2:  # a new person who shares a name with files of the store
            phone = phone[:-4] + "".join(rng.choice("0123456789") for _ in range(4))
            email = f"{c['first_name']}.{c['last_name']}.{rng.randint(100, 999)}@example.net".lower()
        else:
            email = c["email1"]
        typed = {
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "cell_phone": phone,
            "email1": email,
            "postal_code": c["postal_code"],
            "country": c["country"] or "US",
        }
        fields = [(name, typed.pop(name, value)) for name, value in base] + list(typed.items())
        body, content_type = _multipart(fields)
        headers = {"Content-Type": content_type, "Accept": "application/json", "X-Requested-With": "fetch"}
        out.append({"method": "POST", "path": url, "body": body, "headers": headers})
    return out[:50]


def _call_select(store, sorts, default_sort, filter_values: dict[str, list[str]]) -> dict[str, list[dict]]:
    """The default list (the form's initial sort, no filter) over the contact types and two page sizes; one
    entry per other sort and one per filter (its values from the loaded data), same rotation."""
    from django.urls import reverse

    url = reverse("contacts:call_select")

    def variants(sort, filter_name=None, values=("",)) -> list[dict]:
        out = []
        for i, contact_type in enumerate(CONTACT_TYPES * 2):
            params = {"dealership": store.pk, "contact_type": contact_type, "limit": (50, 100)[i // 4], "sort": sort}
            if filter_name:
                params[filter_name] = values[i % len(values)]
            out.append(get(f"{url}?{urlencode(params)}"))
        return out

    pages = {"call_select": variants(default_sort)}
    for sort in sorts:
        if sort != default_sort:
            pages[f"call_select_sort_{sort}"] = variants(sort)
    for name in CALL_SELECT_FILTERS:
        if filter_values.get(name):
            pages[f"call_select_filter_{name}"] = variants(default_sort, name, filter_values[name])
    return pages


def build_targets(store, csrf: str) -> tuple[dict[str, list[dict]], dict]:
    """(requests per page, the filter values used). Many different customers and values, rotated by wrk, so no
    single row stays hot in a cache."""
    from django.db.models import Count
    from django.urls import reverse

    from contacts.forms import CallSelectForm
    from contacts.selectors.call_select import SORTS
    from customers.models import Customer, Vehicle

    rng = random.Random(7)
    customers = Customer.objects.filter(dealership=store)
    ids = list(customers.values_list("id", flat=True).order_by("?")[:200])
    sample = list(
        Customer.objects.filter(pk__in=ids).values(
            "id",
            "last_name",
            "first_name",
            "home_phone",
            "cell_phone",
            "email1",
            "dms_number",
            "postal_code",
            "country",
            "city",
        )  # fmt: skip
    )
    rng.shuffle(sample)
    vehicles = list(Vehicle.objects.filter(customer_id__in=ids).values_list("customer_id", "id", "vin"))
    vins = [vin for _, _, vin in vehicles][:100]
    first_vehicle = {}
    for customer_id, vehicle_id, _ in vehicles:
        first_vehicle.setdefault(customer_id, vehicle_id)

    def search(values):
        return [get(f"/customers/search/?{urlencode({'q': v})}") for v in values if v][:50]

    by_count = customers.exclude(language="").values("language").annotate(n=Count("id")).order_by("-n")
    languages = [row["language"] for row in by_count]
    filter_values = {
        "language": languages[:4],
        "fleet": ["yes"] if customers.filter(is_fleet=True).exists() else [],
        "day_night": [v for v in ("day", "night") if customers.filter(day_night=v).exists()],
        "city": list(dict.fromkeys(c["city"] for c in sample if c["city"]))[:8],
    }
    default_sort = CallSelectForm.base_fields["sort"].initial
    call_select = _call_select(store, list(SORTS), default_sort, filter_values)
    # A Call Select row's "Log" link (templates/contacts/call_select.html): type, vehicle, number, back to the list.
    back = call_select["call_select"][0]["path"]
    contact_log = []
    for c in sample:
        phone = c["cell_phone"] or c["home_phone"]
        if c["id"] in first_vehicle and phone:
            params = {"contact_type": "maintenance", "vehicle": first_vehicle[c["id"]], "phone": phone, "next": back}
            contact_log.append(get(f"{reverse('contacts:contact_log', args=[c['id']])}?{urlencode(params)}"))
    targets = {
        "floor": [get("/bench/floor/")],
        "profile": [get(f"/customers/{c['id']}/") for c in sample[:100]],
        "customer_information": [get(f"/customers/{c['id']}/edit/") for c in sample[:100]],
        "search_name": search(f"{c['first_name']} {c['last_name']}".strip() for c in sample),
        "search_phone": search(c["cell_phone"] or c["home_phone"] for c in sample),
        "search_email": search(c["email1"] for c in sample),
        "search_number": search(c["dms_number"] for c in sample),
        "search_vin": search(vins),
        "search_postal": search(c["postal_code"] for c in sample),
        "call_select": call_select.pop("call_select"),
        "contact_log": contact_log[:100],
        "identity_check": _identity_checks(store, sample, csrf, rng),
        **call_select,  # the variants, timed at the goal's user count only
    }
    return {name: reqs for name, reqs in targets.items() if reqs}, filter_values
