from django.shortcuts import render
from django.views.decorators.http import require_GET

from customers.context_processors import current_dealership_id
from customers.models import VinContactType

from ..forms import CallSelectForm
from ..selectors import call_select_list
from ..selectors.call_select import SORT_STAR_DESC


@require_GET
def call_select_view(request):
    """GET form: the list is a read, so its URL can be bookmarked and shared within the store."""
    rows = None
    contact_type_label = ""
    if "contact_type" in request.GET:
        form = CallSelectForm(request.GET, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            rows = call_select_list(
                user=request.user,
                dealership_id=data["dealership"].pk,
                contact_type=data["contact_type"],
                limit=data["limit"],
                filters=form.filters(),
                sort=data["sort"],
            )
            contact_type_label = VinContactType(data["contact_type"]).label
    else:
        form = CallSelectForm(
            user=request.user,
            initial={
                "dealership": current_dealership_id(request),
                "contact_type": VinContactType.MAINTENANCE,
                "limit": 50,
                "sort": SORT_STAR_DESC,
            },
        )
    return render(
        request, "contacts/call_select.html", {"form": form, "rows": rows, "contact_type_label": contact_type_label}
    )
