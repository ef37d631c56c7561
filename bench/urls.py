"""The application's URLs plus the bench floor: a minimal login-required view behind the same middleware."""

from django.http import HttpResponse
from django.urls import path

from dealermine.urls import urlpatterns as app_urlpatterns


def floor_view(request):
    """The cheapest authenticated page: session + user lookup through every middleware, no template, no query
    of its own. Each page's throughput is reported as a ratio to this one."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor_view, name="bench_floor"), *app_urlpatterns]
