from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("<int:pk>/", views.customer_profile_view, name="profile"),
    path("switch-store/", views.store_switch_view, name="switch_store"),
]
