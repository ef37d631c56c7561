from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from customers.views.language import language_switch_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", language_switch_view, name="language_switch"),
    path("admin/", admin.site.urls),
    path("customers/", include("customers.urls")),
    path("postal-codes/", include("customers.urls_postal")),
    path("", include("contacts.urls")),
    path("", include("dms_sync.urls")),
]
