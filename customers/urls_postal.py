from django.urls import path

from .views import edit

app_name = "postal"

urlpatterns = [
    path("lookup", edit.postal_lookup_view, name="lookup"),
]
