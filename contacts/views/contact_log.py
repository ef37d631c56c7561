"""Logging a contact and the Contact History page (/customers/<id>/contacts/...).

Logging works as a plain form POST (from the profile's Contact History panel, this page, or a Call Select row's
"Log" link) that goes back where it came from (`next`, a path of this site); static/js/call_select.js posts the
same form from a Call Select row and reads the JSON answer, so the coordinator stays in the list. A "wrong
number" result leads to the remove (X) confirm step of that number (Customer Information), then back.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from customers.fields import field_label
from customers.models import ContactMethodKind, Customer
from customers.phones import phone_display
from customers.selectors import customer_get_for_user

from ..forms import ContactLogForm
from ..selectors.call_select_rows import day_label
from ..selectors.contact_history import contact_history_page
from ..services import contact_log_record


def _wants_json(request) -> bool:
    return (
        request.headers.get("X-Requested-With", "").lower() == "fetch"
        or "application/json" in request.headers.get("Accept", "").lower()
    )


def safe_next(request, value: str, default: str) -> str:
    """`value` when it is a path of this site, else `default`."""
    value = value or ""
    local = value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()})
    return value if local else default


def _customer(request, pk):
    return customer_get_for_user(user=request.user, pk=pk, queryset=Customer.objects.select_related("dealership"))


def _history_url(customer) -> str:
    return reverse("contacts:contact_history", args=[customer.pk])


def _profile_url(customer) -> str:
    return reverse("customers:profile", args=[customer.pk]) + "#contact-history"


def _initial(request) -> dict:
    """A "Log" link carries the row's contact type, vehicle and number (and where to go back to)."""
    keys = ("channel", "contact_type", "vehicle", "phone", "result", "next")
    return {key: request.GET[key] for key in keys if request.GET.get(key)}


def _outcome_message(customer, logged) -> str:
    log = logged.log
    name = customer.display_name or gettext("the customer")
    message = gettext("Logged for %(name)s: %(channel)s, %(result)s.") % {
        "name": name,
        "channel": log.get_channel_display(),
        "result": log.get_result_display(),
    }
    if log.call_back_on:
        message += " " + gettext("Back on Call Select on %(day)s.") % {"day": day_label(log.call_back_on)}
    if logged.do_not_call is not None:
        number = phone_display(log.phone)
        if logged.methods_turned_off:
            turned = ", ".join(str(ContactMethodKind(m).label) for m in logged.methods_turned_off)
            message += " " + gettext("%(number)s is on the store's do-not-call list; %(methods)s turned off.") % {
                "number": number,
                "methods": turned,
            }
        else:
            message += " " + gettext("%(number)s is on the store's do-not-call list.") % {"number": number}
    return message


def _remove_offer(customer, logged, *, next_url: str) -> dict | None:
    """Wrong number: the remove (X) confirm step of the field holding the number, coming back to `next_url`."""
    field = logged.remove_field
    if not field:
        return None
    url = reverse("customers:remove", args=[customer.pk, field])
    return {
        "url": f"{url}?{urlencode({'next': next_url})}",
        "action": url,
        "field": field,
        "label": str(field_label(field)),
        "value": logged.log.phone,
        "display": phone_display(logged.log.phone),
    }


@require_http_methods(["GET", "POST"])
def contact_log_view(request, pk):
    """GET: the form (pre-filled from the link); POST: log the contact, then back to `next` (or the profile)."""
    customer = _customer(request, pk)
    vehicles = list(customer.vehicles.order_by("-year", "vin"))
    if request.method == "GET":
        form = ContactLogForm(customer=customer, vehicles=vehicles, initial=_initial(request))
        return render(request, "contacts/contact_log.html", {"customer": customer, "form": form})

    form = ContactLogForm(request.POST, customer=customer, vehicles=vehicles)
    logged = None
    if form.is_valid():
        try:
            logged = contact_log_record(customer=customer, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
    if logged is None:
        if _wants_json(request):
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return render(request, "contacts/contact_log.html", {"customer": customer, "form": form}, status=400)

    next_url = safe_next(request, form.cleaned_data.get("next"), _profile_url(customer))
    message = _outcome_message(customer, logged)
    remove = _remove_offer(customer, logged, next_url=next_url)
    if _wants_json(request):
        log = logged.log
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "result": log.result,
                "result_label": log.get_result_display(),
                "call_back_on": log.call_back_on.isoformat() if log.call_back_on else None,
                "do_not_call": bool(logged.do_not_call),
                "methods_turned_off": logged.methods_turned_off,
                "remove": remove,
            }
        )
    messages.success(request, message)
    if remove is not None:
        messages.info(
            request,
            gettext("Wrong number: remove %(label)s %(number)s for good?")
            % {"label": remove["label"], "number": remove["display"]},
        )
        return redirect(remove["url"])
    return redirect(next_url)


@require_GET
def contact_history_view(request, pk):
    """The customer's whole contact history, newest first, paginated, with the form to log one more."""
    customer = _customer(request, pk)
    page = contact_history_page(customer=customer, page=request.GET.get("page"))
    vehicles = list(customer.vehicles.order_by("-year", "vin"))
    form = ContactLogForm(customer=customer, vehicles=vehicles, initial={"next": _history_url(customer)})
    return render(request, "contacts/contact_history.html", {"customer": customer, "page": page, "form": form})
