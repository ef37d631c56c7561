from django.urls import path

from .views import call_select, consent, contact_log, hooks, reports

app_name = "contacts"

urlpatterns = [
    path("call-select/", call_select.call_select_view, name="call_select"),
    path("call-select/export.csv", call_select.call_select_export_view, name="call_select_export"),
    path("reports/bounces/", reports.bounce_report_view, name="bounce_report"),
    path("hooks/email/bounces/", hooks.bounce_webhook_view, name="bounce_webhook"),
    path("customers/<int:pk>/consent/", consent.consent_update_view, name="consent"),
    path("customers/<int:pk>/contacts/", contact_log.contact_history_view, name="contact_history"),
    path("customers/<int:pk>/contacts/log/", contact_log.contact_log_view, name="contact_log"),
]
