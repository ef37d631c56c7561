from django.urls import path

from .views import listing, profile

app_name = "customers"

urlpatterns = [
    path("", listing.customer_list_view, name="list"),
    path("<int:pk>/", profile.customer_profile_view, name="profile"),
    path("<int:pk>/sales/", profile.customer_sales_view, name="sales"),
    path("switch-store/", listing.store_switch_view, name="switch_store"),
]
