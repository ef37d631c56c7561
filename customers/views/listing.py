from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..context_processors import CURRENT_STORE_SESSION_KEY, current_dealership_id
from ..selectors import customer_list, dealerships_for_user

PAGE_SIZE = 50


def customer_list_view(request):
    q = request.GET.get("q", "").strip()
    qs = customer_list(user=request.user, dealership_id=current_dealership_id(request), q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"page": page, "q": q})


@require_POST
def store_switch_view(request):
    """Pick the store the lists show; an empty value shows all of the user's stores."""
    store_id = request.POST.get("dealership", "")
    if store_id.isdigit() and dealerships_for_user(user=request.user).filter(pk=store_id).exists():
        request.session[CURRENT_STORE_SESSION_KEY] = int(store_id)
    else:
        request.session.pop(CURRENT_STORE_SESSION_KEY, None)
    next_url = request.POST.get("next", "")
    # Only a path of this site: anything else (another host, or a bare word redirect() would take for a URL
    # name and fail to reverse) goes to the list.
    local = next_url.startswith("/") and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
    return redirect(next_url if local else "customers:list")
