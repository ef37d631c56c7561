"""The nav search box and opening a result (which records an INQ).

A GET never changes data (docs/RELIABILITY.md): the results page is a GET, and everything that records an
Inquiry is a POST with a CSRF token - the search box itself (one exact hit opens the profile at once) and each
result's name (a small form). An image tag or a link on another site can therefore never add an INQ.
"""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from ..context_processors import CURRENT_STORE_SESSION_KEY, current_dealership_id
from ..models import Customer
from ..selectors import customer_get_for_user
from ..selectors.search import customer_search
from ..services.inquiry import inquiry_record

MAX_QUERY = 200


def _query(data) -> str:
    return " ".join(data.get("q", "").split())[:MAX_QUERY]


@require_http_methods(["GET", "POST"])
def customer_search_view(request):
    """GET: the results for ?q= (a single exact hit is listed, not opened). POST (the search box): one exact hit
    records the INQ and opens the profile; anything else lands on the results page (post/redirect/get)."""
    if request.method == "POST":
        q = _query(request.POST)
        target = _search(request, q).single_exact if q else None
        if target is not None:
            inquiry_record(customer=target, actor=request.user)
            return redirect("customers:profile", pk=target.pk)
        url = reverse("customers:search")
        return redirect(f"{url}?{urlencode({'q': q})}" if q else url)
    q = _query(request.GET)
    outcome = _search(request, q) if q else None
    return render(request, "customers/search.html", {"q": q, "outcome": outcome})


def _search(request, q):
    """Search the store picked in the switcher (never wider than the user's stores: the selector intersects).

    The picked store is only re-validated when nothing was found, so a normal search page stays within its
    query budget; a stale pick (membership removed meanwhile) then falls back to all of the user's stores.
    """
    picked = request.session.get(CURRENT_STORE_SESSION_KEY)
    outcome = customer_search(user=request.user, query=q, dealership_id=picked)
    if picked is not None and not outcome.results and current_dealership_id(request) is None:
        outcome = customer_search(user=request.user, query=q, dealership_id=None)
    return outcome


@require_POST
def search_open_view(request, pk):
    """Open a customer from the search results: record the inquiry, then show the profile.

    A Duplicate child lands on its parent, as search does.
    """
    customer = customer_get_for_user(
        user=request.user,
        pk=pk,
        queryset=Customer.objects.only("pk", "merge_parent_id", "merge_relationship", "dealership_id"),
    )
    if customer.is_duplicate_child:
        customer = customer_get_for_user(
            user=request.user, pk=customer.merge_parent_id, queryset=Customer.objects.only("pk", "dealership_id")
        )
    inquiry_record(customer=customer, actor=request.user)
    return redirect("customers:profile", pk=customer.pk)
