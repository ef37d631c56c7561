from django.urls import path

from .views import edit, edit_removed, listing, profile
from .views import merge as merge_views
from .views import new as new_views
from .views import search as search_views

app_name = "customers"

urlpatterns = [
    path("", listing.customer_list_view, name="list"),
    path("<int:pk>/", profile.customer_profile_view, name="profile"),
    path("<int:pk>/sales/", profile.customer_sales_view, name="sales"),
    path("switch-store/", listing.store_switch_view, name="switch_store"),
    # Search, INQ, merge (issue 7)
    path("search/", search_views.customer_search_view, name="search"),
    path("search/open/<int:pk>/", search_views.search_open_view, name="search_open"),
    # New customer and the identity check before it is made
    path("new/", new_views.customer_new_view, name="new"),
    path("new/check/", new_views.customer_new_check_view, name="new_check"),
    path("<int:pk>/merge/", merge_views.merge_view, name="merge"),
    path("<int:pk>/merge/review/", merge_views.merge_review_view, name="merge_review"),
    path("<int:pk>/merge/unmerge/", merge_views.unmerge_view, name="unmerge"),
    # Customer Information (issue 4)
    path("<int:pk>/edit/", edit.customer_edit_view, name="edit"),
    path("<int:pk>/edit/verify/", edit.customer_verify_view, name="verify"),
    path("<int:pk>/edit/remove/<str:field>/", edit_removed.customer_remove_view, name="remove"),
    path(
        "<int:pk>/edit/removed/<int:suppression_pk>/lift/",
        edit_removed.suppression_lift_view,
        name="suppression_lift",
    ),
    path("<int:pk>/edit/contact-methods/", edit.contact_method_view, name="contact_method"),
    path("<int:pk>/edit/contact-methods/preferred/", edit.preferred_method_view, name="preferred_method"),
    path("<int:pk>/edit/vin-types/<int:vehicle_pk>/<str:code>/", edit.vin_contact_type_view, name="vin_type"),
    path("<int:pk>/edit/associations/add/", edit.association_add_view, name="association_add"),
    path(
        "<int:pk>/edit/associations/<int:association_pk>/remove/",
        edit.association_remove_view,
        name="association_remove",
    ),
]
