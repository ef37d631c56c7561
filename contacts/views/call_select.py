"""Call Select: today's list for a contact type (GET: a read, so its URL can be bookmarked and shared within the
store), its CSV export (the same list: the same form, the same query) and a print stylesheet
(static/css/print.css). Each row logs a contact (contacts.views.contact_log)."""

import csv
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from customers.context_processors import current_dealership_id
from customers.models import VinContactType
from customers.phones import phone_display

from ..csv_cells import csv_row
from ..forms import CallSelectForm, ContactLogForm
from ..models import ContactChannel, ContactResult
from ..selectors import call_select_list
from ..selectors.call_select import SORT_STAR_DESC, SORTS

#: The export is read by people (a coordinator's spreadsheet), not by a machine: its headers are translated.
CSV_HEADER = [
    _("DealerMine number"),
    _("Name"),
    _("Phone"),
    _("Phone type"),
    _("Ext"),
    _("Email"),
    _("Vehicle"),
    _("VIN"),
    _("Star rating"),
    _("Last RO"),
    _("Last contact"),
    _("Last result"),
    _("Why due"),
    _("Local time"),
    _("Within calling hours"),
    _("Language"),
    _("City"),
    _("State/Province"),
]
#: The row form's fields whose labels call_select.js names in its error messages.
_LOG_FIELDS = ("channel", "phone", "result", "call_back_on", "note")


def _js_texts() -> dict:
    """What static/js/call_select.js shows, in the person's language (json_script: no text in the JS file)."""
    return {
        "labels": {name: str(ContactLogForm.base_fields[name].label) for name in _LOG_FIELDS},
        # %(name)s and the like are filled in by the script.
        "logWith": gettext("Log a contact with %(name)s"),
        "theCustomer": gettext("the customer"),
        "fieldError": gettext("%(field)s: %(errors)s"),
        "notSaved": gettext("The contact could not be saved."),
        "notSavedNow": gettext("The contact could not be saved right now; try again, or use the Log link."),
        "logged": gettext("Logged: %(result)s"),
        "removeOffer": gettext("Remove %(label)s %(number)s for good?"),
        "removeButton": gettext("Remove %(number)s"),
        "keep": gettext("Keep it"),
        "removed": gettext("Removed."),
        "notRemoved": gettext("Not removed."),
        "notRemovedNow": gettext("The number could not be removed right now; open the profile to remove it."),
    }


def _list(request):
    """(form, rows, contact type label): rows is None until the form was sent, [] when it is invalid."""
    if "contact_type" not in request.GET:
        form = CallSelectForm(
            user=request.user,
            initial={
                "dealership": current_dealership_id(request),
                "contact_type": VinContactType.MAINTENANCE,
                "limit": 50,
                "sort": SORT_STAR_DESC,
            },
        )
        return form, None, ""
    form = CallSelectForm(request.GET, user=request.user)
    if not form.is_valid():
        return form, None, ""
    data = form.cleaned_data
    rows = call_select_list(
        user=request.user,
        dealership_id=data["dealership"].pk,
        contact_type=data["contact_type"],
        limit=data["limit"],
        filters=form.filters(),
        sort=data["sort"],
        store=data["dealership"],
    )
    return form, rows, str(VinContactType(data["contact_type"]).label)


@require_GET
def call_select_view(request):
    form, rows, contact_type_label = _list(request)
    context = {"form": form, "rows": rows, "contact_type_label": contact_type_label}
    if rows is not None:
        query = request.GET.urlencode()
        context |= {
            "export_query": query,
            "log_next": f"{request.path}?{query}",
            "channels": ContactChannel.choices,
            "results": ContactResult.choices,
            "outside_hours": sum(1 for r in rows if r.local_time and not r.local_time.within_hours),
            "contact_type": form.cleaned_data["contact_type"],
            "sort_label": SORTS[form.cleaned_data["sort"]],
            "printed_at": timezone.now(),
            "log_labels": {name: ContactLogForm.base_fields[name].label for name in _LOG_FIELDS},
            "js_texts": _js_texts(),
        }
    return render(request, "contacts/call_select.html", context)


def _csv_values(row, *, store_zone) -> list:
    customer, vehicle, local = row.customer, row.vehicle, row.local_time
    return [
        customer.dealermine_number_display,
        customer.display_name,
        phone_display(row.phone),
        row.phone_label,
        row.phone_ext,
        row.email,
        " ".join(str(p) for p in (vehicle.year, vehicle.make, vehicle.model) if p) if vehicle else "",
        vehicle.vin if vehicle else "",
        "" if customer.star_rating is None else customer.star_rating,
        row.last_ro_date.isoformat() if row.last_ro_date else "",
        f"{row.last_contact_at.astimezone(store_zone):%Y-%m-%d %H:%M}" if row.last_contact_at else "",
        row.last_contact_result_label,
        row.due_reason,
        f"{local.at:%Y-%m-%d %H:%M} {local.abbreviation}" if local else "",
        (pgettext("within calling hours", "yes") if local.within_hours else pgettext("within calling hours", "no"))
        if local
        else "",
        customer.get_language_display() if customer.language else "",
        customer.city,
        customer.state,
    ]


@require_GET
def call_select_export_view(request):
    """The list as the page shows it, as CSV (every text cell formula-escaped: contacts.csv_cells)."""
    form, rows, _ = _list(request)
    if rows is None:
        return render(request, "contacts/call_select.html", {"form": form, "rows": None}, status=400)
    data = form.cleaned_data
    name = f"call-select-{slugify(data['dealership'].code)}-{data['contact_type']}-{timezone.localdate():%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([str(header) for header in CSV_HEADER])
    store_zone = ZoneInfo(data["dealership"].time_zone)
    for row in rows:
        writer.writerow(csv_row(_csv_values(row, store_zone=store_zone)))
    return response
