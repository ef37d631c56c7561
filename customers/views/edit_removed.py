"""Customer Information: values removed for good. The remove (X) beside a phone or email, and lifting a removal.

Both are a confirm step (GET shows it, changes nothing) and a POST. The X also answers JSON to static/js/edit.js
(see customers.views.edit); a lift is a plain form with a required reason.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from dms_sync.selectors import customer_removed_values, customer_suppressions, removed_by
from dms_sync.services.removal import customer_value_remove
from dms_sync.services.suppressions import suppression_lift

from ..fields import BY_KEY, PHONE_FIELDS, REMOVABLE_FIELDS, field_label
from ..forms import RemoveForm, SuppressionLiftForm, original_sign
from ..phones import phone_display
from .edit import _add_service_errors, _customer, _edit_url, _first_message, _history_html, wants_json


def removed_values_html(request, customer, removed_values=None) -> str:
    """The "Removed permanently" list of the contact section (also sent to the script after an X)."""
    if removed_values is None:
        removed_values = customer_removed_values(customer=customer)
    return render_to_string(
        "customers/partials/edit_removed_values.html",
        {"customer": customer, "removed_values": removed_values},
        request=request,
    )


def _next_path(request) -> str:
    """Where the confirm step goes back to when it was opened from elsewhere (a "wrong number" contact result on
    Call Select or the profile): a path of this site, else "" (Customer Information)."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    local = value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()})
    return value if local else ""


@require_http_methods(["GET", "POST"])
def customer_remove_view(request, pk, field):
    customer = _customer(request, pk)
    if field not in REMOVABLE_FIELDS:
        raise Http404("Not a removable field.")
    label = field_label(field)
    current = getattr(customer, field)
    display = phone_display(current) if field in PHONE_FIELDS else current
    next_path = _next_path(request)
    context = {
        "customer": customer,
        "field": field,
        "label": label,
        "value": current,
        "display": display,
        "next": next_path,
    }
    if request.method == "GET":
        if not current:
            messages.info(request, gettext("%(label)s is already empty.") % {"label": label})
            return redirect(next_path or _edit_url(customer))
        context["form"] = RemoveForm(initial={"value": current})
        return render(request, "customers/edit_remove_confirm.html", context)

    form = RemoveForm(request.POST)
    form.is_valid()
    expected = form.cleaned_data.get("value") or None
    try:
        result = customer_value_remove(customer=customer, field=field, actor=request.user, expected_value=expected)
    except ValidationError as exc:
        message = _first_message(exc)
        if wants_json(request):
            return JsonResponse({"ok": False, "field": field, "message": message}, status=409)
        form.add_error(None, message)
        context["form"] = form
        return render(request, "customers/edit_remove_confirm.html", context, status=409)
    sentences = [gettext("%(label)s %(value)s was removed permanently.") % {"label": label, "value": display}]
    if result.remove_request:
        sentences.append(gettext("A remove request was queued for the DMS."))
    if "preferred_contact_method" in result.cleared:
        sentences.append(gettext("It was the only value of the preferred method, so no method is preferred now."))
    if "default_email" in result.unticked:
        sentences.append(gettext("Default Email was unticked: it needs an Email 1."))
    message = " ".join(sentences)
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "field": field,
                "message": message,
                "version": result.customer.version,
                "original": original_sign(result.customer),
                "cleared": result.cleared,
                "unticked": result.unticked,
                "remove_request": result.remove_request.get_status_display() if result.remove_request else None,
                "history_html": _history_html(request, result.customer),
                "removed_html": removed_values_html(request, result.customer),
            }
        )
    messages.success(request, message)
    return redirect(next_path or _edit_url(customer, "#contact-information"))


@require_http_methods(["GET", "POST"])
def suppression_lift_view(request, pk, suppression_pk):
    """Lift a removal: GET shows the value and asks why; POST (with the reason) deletes the Suppression."""
    customer = _customer(request, pk)
    suppression = get_object_or_404(customer_suppressions(customer=customer), pk=suppression_pk)
    label = field_label(suppression.field)
    display = BY_KEY[suppression.field].display(suppression.value)
    context = {
        "customer": customer,
        "suppression": suppression,
        "label": label,
        "display": display,
        "who": removed_by(suppression),
    }
    if request.method == "GET":
        context["form"] = SuppressionLiftForm()
        return render(request, "customers/edit_lift_confirm.html", context)

    form = SuppressionLiftForm(request.POST)
    if form.is_valid():
        try:
            suppression_lift(
                customer=customer,
                suppression_id=suppression.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
    if form.errors:
        context["form"] = form
        return render(request, "customers/edit_lift_confirm.html", context, status=400)
    messages.success(
        request, gettext("The removal of %(value)s was lifted: it can be entered again.") % {"value": display}
    )
    return redirect(_edit_url(customer, "#contact-information"))
