from django.urls import path

from .views import call_select, consent, hooks, reports

app_name = "contacts"

urlpatterns = [
    path("call-select/", call_select.call_select_view, name="call_select"),
    path("reports/bounces/", reports.bounce_report_view, name="bounce_report"),
    path("hooks/email/bounces/", hooks.bounce_webhook_view, name="bounce_webhook"),
    path("customers/<int:pk>/consent/", consent.consent_update_view, name="consent"),
]
