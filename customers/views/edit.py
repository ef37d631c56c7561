"""Customer Information screen (/customers/<id>/edit/) and its actions.

Every action is a plain POST + redirect (errors re-render the page beside the field). Requests sent by
static/js/edit.js (header `X-Requested-With: fetch` or `Accept: application/json`) get JSON instead, so the
postal lookup, Verified Info and the remove (X) work without a full reload. The remove (X) and lifting a removal
live in customers.views.edit_removed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from contacts.services.method_screen import contact_method_set, customer_preferred_method_set

from ..fields import PHONE_FIELDS, REMOVABLE_FIELDS, field_label
from ..forms import (
    AssociationAddForm,
    ContactMethodForm,
    CustomerEditForm,
    PreferredMethodForm,
    VinContactTypeForm,
    form_data_value,
    original_sign,
)
from ..models import Association
from ..phones import phone_display
from ..selectors.edit import (
    CANDIDATE_LIMIT,
    VIN_TYPES,
    association_candidates,
    customer_edit_get,
    customer_edit_page_get,
    verification_info,
)
from ..selectors.history import customer_history_page
from ..selectors.reasons import vin_contact_type_reasons
from ..services.associations import association_add, association_remove
from ..services.customer import (
    CustomerConflict,
    customer_update,
    customer_verify,
    serialize_value,
)
from ..services.vin_contact_types import OWNS, VIN_TYPE_LABELS, vin_contact_type_set


def _add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the field it names (or at the top of the form)."""
    for name, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


def wants_json(request) -> bool:
    return (
        request.headers.get("X-Requested-With", "").lower() == "fetch"
        or "application/json" in request.headers.get("Accept", "").lower()
    )


def _customer(request, pk):
    return customer_edit_get(user=request.user, pk=pk)


def _edit_url(customer, anchor=""):
    return reverse("customers:edit", args=[customer.pk]) + anchor


def _first_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _history_html(request, customer):
    return render_to_string(
        "customers/partials/edit_history.html",
        {"customer": customer, "history_page": customer_history_page(customer=customer)},
        request=request,
    )


def edit_texts() -> dict[str, str]:
    """The words static/js/edit.js shows, in the reader's language: the page carries them as data-* attributes
    (keys are attribute names), the script fills in their `%(name)s` placeholders."""
    return {
        "close": gettext("Close"),
        "postal_unavailable": gettext("The postal lookup is not available right now; fill the address by hand."),
        "postal_filled": gettext("Filled from postal data: %(place)s."),
        "dirty_note": gettext("Save or undo your changes first"),
        "last_verified": gettext("Last verified %(when)s"),
        "verified": gettext("Verified Info stamped."),
        "not_verified": gettext("Verified Info was not stamped: %(error)s"),
        "remove_question": gettext("Remove %(label)s %(value)s permanently?"),
        "remove_detail": gettext(
            "It is cleared now, recorded in the history, never re-added by the DMS pull, and a remove request goes "
            "to the DMS."
        ),
        "not_removed": gettext("%(label)s was not removed: %(error)s"),
    }


def _edit_context(request, pk, *, form=None, **extra):
    """The page's context, read for customer `pk` (customers.selectors.edit.customer_edit_page_get); `form`: the
    bound form to show again, else one with the customer's values."""
    page = customer_edit_page_get(user=request.user, pk=pk, history_page=request.GET.get("history_page"))
    customer = page.customer
    form = form or CustomerEditForm(customer=customer)
    form.offer_choices(page.choices)
    q = request.GET.get("assoc_q", "").strip()[:80]
    candidates = association_candidates(user=request.user, customer=customer, q=q)[:CANDIDATE_LIMIT] if q else None
    context = {
        "customer": customer,
        "form": form,
        "history_page": page.history_page,
        "verification": page.verification,
        "contact_methods": page.contact_methods,
        "contact_method_reasons": page.choices.contact_method_reasons(),
        "vin_grid": page.vin_grid,
        "vin_types": VIN_TYPES,
        "owns_label": VIN_TYPE_LABELS[OWNS],
        "associations": page.associations,
        "assoc_q": q,
        "assoc_candidates": candidates,
        "assoc_form": AssociationAddForm(candidates=association_candidates(user=request.user, customer=customer)),
        "remove_requests": page.remove_requests,
        "removable": REMOVABLE_FIELDS,
        "cm_error": None,
        "edit_texts": edit_texts(),
        "merge_panel": page.merge_panel,
    }
    context.update(extra)
    # The form reads them once: for its check of a re-entered removed value, and for this list.
    context["removed_values"] = context["form"].removed_values
    context["contact_rows"] = _contact_rows(customer, context["form"])
    return context


def _contact_rows(customer, form):
    """Home, Work (+ext), Cell, Fax, Email 1, Email 2 with the stored value the X would remove."""
    rows = []
    for name in REMOVABLE_FIELDS:
        current = getattr(customer, name)
        rows.append(
            {
                "name": name,
                "field": form[name],
                "ext": form["work_ext"] if name == "work_phone" else None,
                "current": current,
                "is_phone": name in PHONE_FIELDS,
                "display": phone_display(current) if name in PHONE_FIELDS else current,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def customer_edit_view(request, pk):
    if request.method == "GET":
        return render(request, "customers/edit.html", _edit_context(request, pk))

    customer = _customer(request, pk)
    form = CustomerEditForm(request.POST, customer=customer)
    if not form.is_valid():
        messages.error(request, gettext("Nothing was saved: correct the fields marked below."))
        return render(request, "customers/edit.html", _edit_context(request, pk, form=form), status=400)
    before = customer.version
    had = {name: getattr(customer, name) for name in REMOVABLE_FIELDS}
    try:
        updated = customer_update(
            customer=customer,
            data=form.edit_data(),
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            original=form.original_snapshot(),
        )
    except CustomerConflict as conflict:
        fresh = _customer(request, pk)
        form = _conflict_form(request, fresh, form, conflict)
        return render(request, "customers/edit.html", _edit_context(request, pk, form=form), status=409)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return render(request, "customers/edit.html", _edit_context(request, pk, form=form), status=400)
    if updated.version == before:
        messages.info(request, gettext("No changes to save."))
    else:
        messages.success(request, gettext("Customer information saved."))
        cleared = [field_label(name) for name, value in had.items() if value and not getattr(updated, name)]
        if cleared:
            # Say which of the two happened: a value blanked by hand is cleared, not removed for good (the X).
            messages.warning(
                request,
                gettext(
                    "Cleared, not removed for good: %(fields)s. The DMS may send it again; only the X removes a "
                    "phone or email for good."
                )
                % {"fields": ", ".join(cleared)},
            )
    return redirect(_edit_url(customer))


def _conflict_form(request, fresh, form, conflict):
    """Re-offer the form on top of the current row: fields only the other person changed take their value,
    fields both changed keep this user's value with an error naming the other value; nothing was saved."""
    original = form.original_snapshot() or {}
    data = request.POST.copy()
    both = []
    for change in conflict.changes:
        name = change["field"]
        mine = serialize_value(form.normalized[name]) if name in form.normalized else None
        if mine is not None and mine != original.get(name) and mine != change["value"]:
            both.append(change)
            continue
        value = form_data_value(fresh, name)
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    data["version"] = str(fresh.version)
    data["original"] = original_sign(fresh)
    new_form = CustomerEditForm(data, customer=fresh)
    new_form.is_valid()
    new_form.add_error(None, conflict.message)
    for change in both:
        new_form.add_error(
            change["field"],
            gettext("Changed meanwhile to “%(value)s”. Save again to keep your value instead.")
            % {"value": change["new"] or gettext("(blank)")},
        )
    return new_form


@require_POST
def customer_verify_view(request, pk):
    customer = _customer(request, pk)
    stamp = customer_verify(customer=customer, actor=request.user)
    info = verification_info(customer=customer)
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "label": gettext("Last Verification: %(age)s") % {"age": info["label"]},
                "verified_at": stamp.verified_at.isoformat(),
                "verified_at_display": timezone.localtime(stamp.verified_at).strftime("%Y-%m-%d %H:%M"),
                "history_html": _history_html(request, customer),
            }
        )
    messages.success(request, gettext("Verified Info stamped."))
    return redirect(_edit_url(customer, "#verified-info"))


@require_POST
def contact_method_view(request, pk):
    customer = _customer(request, pk)
    form = ContactMethodForm(request.POST, customer=customer)
    error = None
    if form.is_valid():
        try:
            contact_method_set(
                customer=customer,
                method=form.cleaned_data["method"],
                is_on=form.cleaned_data["is_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            error = _first_message(exc)
    else:
        error = " ".join(m for errs in form.errors.values() for m in errs)
    if error:
        cm_error = {"method": request.POST.get("method", ""), "message": error}
        context = _edit_context(request, pk, cm_error=cm_error)
        return render(request, "customers/edit.html", context, status=400)
    messages.success(request, gettext("Contact method updated."))
    return redirect(_edit_url(customer, "#contact-methods"))


@require_POST
def preferred_method_view(request, pk):
    customer = _customer(request, pk)
    form = PreferredMethodForm(request.POST)
    error = None
    if form.is_valid():
        try:
            customer_preferred_method_set(
                customer=customer, method=form.cleaned_data["preferred_contact_method"], actor=request.user
            )
        except ValidationError as exc:
            error = _first_message(exc)
    else:
        error = gettext("Choose a contact method.")
    if error:
        context = _edit_context(request, pk, cm_error={"method": "preferred", "message": error})
        return render(request, "customers/edit.html", context, status=400)
    messages.success(request, gettext("Preferred method of contact updated."))
    return redirect(_edit_url(customer, "#contact-methods"))


@require_http_methods(["GET", "POST"])
def vin_contact_type_view(request, pk, vehicle_pk, code):
    customer = _customer(request, pk)
    vehicle = get_object_or_404(customer.vehicles.select_related("owns_reason"), pk=vehicle_pk)
    if code not in VIN_TYPE_LABELS:
        raise Http404("Unknown contact type.")
    context = {
        "customer": customer,
        "vehicle": vehicle,
        "code": code,
        "label": VIN_TYPE_LABELS[code],
        "reasons": vin_contact_type_reasons(dealership=customer.dealership),
    }
    if request.method == "GET":
        context["form"] = VinContactTypeForm(customer=customer, initial={"is_on": "off"})
        return render(request, "customers/edit_vin_type.html", context)
    form = VinContactTypeForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            vin_contact_type_set(
                vehicle=vehicle,
                contact_type=code,
                is_on=form.cleaned_data["is_on"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
    if form.errors:
        context["form"] = form
        return render(request, "customers/edit_vin_type.html", context, status=400)
    if form.cleaned_data["is_on"]:
        message = gettext("%(vin)s: %(label)s turned on.")
    else:
        message = gettext("%(vin)s: %(label)s turned off.")
    messages.success(request, message % {"vin": vehicle.vin, "label": VIN_TYPE_LABELS[code]})
    return redirect(_edit_url(customer, "#vin-contact-types"))


@require_POST
def association_add_view(request, pk):
    customer = _customer(request, pk)
    candidates = association_candidates(user=request.user, customer=customer)
    form = AssociationAddForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            association_add(
                customer=customer,
                other=form.cleaned_data["other"],
                relationship=form.cleaned_data["relationship"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
    if form.errors:
        context = _edit_context(request, pk, assoc_form=form)
        return render(request, "customers/edit.html", context, status=400)
    messages.success(
        request, gettext("Association with %(customer)s added.") % {"customer": form.cleaned_data["other"]}
    )
    return redirect(_edit_url(customer, "#associations"))


@require_POST
def association_remove_view(request, pk, association_pk):
    customer = _customer(request, pk)
    association = get_object_or_404(
        Association.objects.select_related("from_customer", "to_customer").filter(
            Q(from_customer=customer) | Q(to_customer=customer)
        ),
        pk=association_pk,
    )
    association_remove(association=association, actor=request.user)
    messages.success(request, gettext("Association removed."))
    return redirect(_edit_url(customer, "#associations"))
