"""New customer (/customers/new/): add a customer or prospect, with the identity check before it is made.

GET shows the form, pre-filled from the search text (`?q=`), in the current store: the one picked in the nav's
store switcher, the user's only store, or the one chosen on the store step (`?dealership=`). POST validates
(errors beside the fields), then the create service runs the identity check under the store's lock: possible
existing files come back on the form with the reason each matched, a link to open it and "Create anyway"; a
clean check (or a confirmed one) creates the file and opens its profile. Everything works as plain form posts;
static/js/new_customer.js adds the identity check while typing (/customers/new/check/) and a Save that cannot be
clicked twice (the form's one-time token is the real guard).

A store outside the user's is a 404, as every foreign id (docs/ARCHITECTURE.md, tenancy).
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from ..context_processors import CURRENT_STORE_SESSION_KEY
from ..forms_new import MAX_QUERY, NewCustomerForm, identity_probe, new_form_initial
from ..selectors import dealership_list_for_user
from ..selectors.identity import do_not_call_numbers, identity_matches
from ..services.create import PossibleDuplicates
from ..services.new_customer import new_customer_save
from .edit import wants_json

STORE_PARAM = "dealership"
IDENTITY_PARTIAL = "customers/partials/new_identity.html"


def _query(request) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return " ".join(str(source.get("q", "")).split())[:MAX_QUERY]


def _store(request, stores):
    """The store the file is created in: the one asked for (must be one of the user's: else 404), the one picked
    in the nav switcher, the user's only store; None when the user must choose."""
    source = request.POST if request.method == "POST" else request.GET
    by_pk = {store.pk: store for store in stores}
    asked = str(source.get(STORE_PARAM, "")).strip()
    if asked:
        if not re.fullmatch(r"[0-9]{1,18}", asked) or int(asked) not in by_pk:
            raise Http404("No such store among yours.")
        return by_pk[int(asked)]
    if request.method == "GET" and source.get("choose"):
        return None  # "Another store": the store step, even with one picked in the switcher
    picked = request.session.get(CURRENT_STORE_SESSION_KEY)
    if picked in by_pk:
        return by_pk[picked]
    if len(stores) == 1:
        return stores[0]
    return None


def _render(request, stores, store, form, *, status=200, check=None):
    context = {
        "store": store,
        "form": form,
        "q": _query(request),
        "check": check,
        "several_stores": len(stores) > 1,
    }
    return render(request, "customers/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
def customer_new_view(request):
    stores = dealership_list_for_user(user=request.user)
    if not stores:
        raise Http404("You do not work for any store.")
    store = _store(request, stores)
    if store is None:
        context = {"stores": stores, "q": _query(request)}
        return render(request, "customers/new_store.html", context, status=400 if request.method == "POST" else 200)

    if request.method == "GET":
        form = NewCustomerForm(dealership=store, initial=new_form_initial(dealership=store, q=_query(request)))
        return _render(request, stores, store, form)

    form = NewCustomerForm(request.POST, dealership=store)
    if not form.is_valid():
        messages.error(request, gettext("Nothing was saved: correct the fields marked below."))
        return _render(request, stores, store, form, status=400)
    try:
        result = new_customer_save(
            dealership=store,
            data=form.new_data(),
            methods_off=form.methods_off(),
            actor=request.user,
            token=form.cleaned_data["token"],
            confirmed=form.confirmed_ids(),
            searched_dms_number=form.searched_dms_number(),
        )
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
        messages.error(request, gettext("Nothing was saved: correct the fields marked below."))
        return _render(request, stores, store, form, status=400)
    except PossibleDuplicates as found:
        check = {"matches": found.matches, "do_not_call": found.do_not_call, "ran": True, "confirmable": True}
        return _render(request, stores, store, form, check=check)

    customer = result.customer
    name = customer.display_name or gettext("(no name)")
    if not result.created:
        messages.info(
            request, gettext("This form had already created %(name)s; no second file was made.") % {"name": name}
        )
    else:
        messages.success(
            request,
            gettext("Created %(name)s: DealerMine # %(number)s.")
            % {"name": name, "number": customer.dealermine_number_display},
        )
        if result.do_not_call:
            messages.warning(request, gettext("A phone number of this customer is on the store's do-not-call list."))
    return redirect("customers:profile", pk=customer.pk)


@require_http_methods(["GET", "POST"])
def customer_new_check_view(request):
    """The identity check of what is typed so far (for static/js/new_customer.js): the matching files with the
    reasons, as an HTML fragment (JSON {count, html} when asked by script). Reads only; POST keeps phones and
    emails out of URLs and logs."""
    stores = dealership_list_for_user(user=request.user)
    store = _store(request, stores)
    if store is None:
        raise Http404("Choose a store first.")
    data = request.POST if request.method == "POST" else request.GET
    keys = identity_probe(dealership=store, data=data)
    matches = identity_matches(user_id=request.user.pk, dealership_id=store.pk, keys=keys, merged=True)
    check = {
        "matches": matches,
        "do_not_call": do_not_call_numbers(dealership_id=store.pk, phones=keys.phones),
        "ran": bool(keys),
        "confirmable": False,
    }
    html = render_to_string(IDENTITY_PARTIAL, {"check": check, "store": store}, request=request)
    if wants_json(request):
        return JsonResponse({"count": len(matches), "html": html})
    return render(request, IDENTITY_PARTIAL, {"check": check, "store": store})
