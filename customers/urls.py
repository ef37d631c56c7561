from django.urls import path

from .views import listing

app_name = "customers"

urlpatterns = [
    path("", listing.customer_list_view, name="list"),
    path("<int:pk>/", listing.customer_profile_view, name="profile"),
    path("switch-store/", listing.store_switch_view, name="switch_store"),
]
