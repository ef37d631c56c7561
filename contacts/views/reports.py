import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from customers.context_processors import current_dealership_id

from ..csv_cells import csv_cell
from ..forms import BounceReportForm
from ..selectors import bounce_report

#: A people's export: the header is in the reader's language.
TOTAL = pgettext_lazy("sum", "Total")
CSV_HEADER = [_("Campaign"), _("Bounces"), _("Unique addresses"), _("Addresses now invalid")]


@require_GET
def bounce_report_view(request):
    """Fetch ROI: bounces per campaign for one of the user's stores and a date range; ?export=csv downloads it."""
    report = None
    if "dealership" in request.GET:
        form = BounceReportForm(request.GET, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            report = bounce_report(
                user=request.user,
                dealership_id=data["dealership"].pk,
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
            if request.GET.get("export") == "csv":
                return _csv_response(report)
    else:
        start, end = BounceReportForm.default_range()
        form = BounceReportForm(
            user=request.user,
            initial={"dealership": current_dealership_id(request), "date_from": start, "date_to": end},
        )
    return render(request, "contacts/bounce_report.html", {"form": form, "report": report})


def _csv_response(report) -> HttpResponse:
    name = f"bounces-{slugify(report.dealership.code)}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([str(title) for title in CSV_HEADER])
    for row in report.rows:
        writer.writerow([csv_cell(row.campaign), row.bounces, row.addresses, row.invalid_addresses])
    writer.writerow([str(TOTAL), report.total_bounces, report.total_addresses, report.total_invalid])
    return response
