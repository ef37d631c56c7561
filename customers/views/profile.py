"""Customer Profile (/customers/<id>/) and its Sales breakdown (/customers/<id>/sales/). Read-only screens."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from ..models import Customer
from ..selectors import customer_get_for_user
from ..selectors.profile import customer_profile_get, customer_repair_orders, repair_order_totals, sales_visible

REPAIR_ORDERS_PER_PAGE = 25


def customer_profile_view(request, pk):
    profile = customer_profile_get(user=request.user, pk=pk)
    return render(request, "customers/profile.html", {"profile": profile, "customer": profile.customer})


def customer_sales_view(request, pk):
    customer = customer_get_for_user(user=request.user, pk=pk, queryset=Customer.objects.select_related("dealership"))
    if not sales_visible(customer.dealership):
        raise Http404("Sales are shown for Reynolds stores only.")
    page = Paginator(customer_repair_orders(customer=customer), REPAIR_ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/sales.html",
        {"customer": customer, "page": page, "totals": repair_order_totals(customer=customer)},
    )
