from django.urls import path

from .views import postal

app_name = "postal"

urlpatterns = [
    path("lookup", postal.postal_lookup_view, name="lookup"),
]
