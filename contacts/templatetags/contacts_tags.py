"""Template tags that let other screens show contacts data without changing their views.

{% load contacts_tags %}
{% email_consent_panel customer as consent_panel %}   -> the consent panel's context (Customer Information)
{% customer_email_statuses customer as email_statuses %} -> EmailStatus per address (invalid, bounce
                                                           count/limit, opted out, consent expired, usable + why)
{% contact_log_form customer vehicles=... as form %}     -> the contact log form for the customer (no query: the
                                                           vehicles are those the screen loaded)
{% inbound_offer profile user as offer %}                -> whether the profile offers the one-click inbound log
"""

from django import template
from django.urls import reverse

from ..forms import ContactLogForm, EmailConsentForm
from ..selectors import customer_email_statuses as _customer_email_statuses

register = template.Library()


@register.simple_tag
def customer_email_statuses(customer):
    return _customer_email_statuses(customer=customer)


def _loaded_statuses(context, customer):
    """The statuses Customer Information's contact-method panel already loaded for this customer, if any
    (customers.selectors.edit.customer_edit_page_get), so the page does not load them twice."""
    methods = context.get("contact_methods")
    if isinstance(methods, dict) and methods.get("customer_id") == customer.pk and "email_statuses" in methods:
        return methods["email_statuses"]
    return None


def _loaded_consents(context, customer):
    """The consent ledger entries the same panel loaded, by lower-cased address, if any."""
    methods = context.get("contact_methods")
    if isinstance(methods, dict) and methods.get("customer_id") == customer.pk:
        return methods.get("email_consents")
    return None


@register.simple_tag(takes_context=True)
def email_consent_panel(context, customer):
    statuses = _loaded_statuses(context, customer)
    if statuses is None:
        statuses = _customer_email_statuses(customer=customer)
    form = None
    if statuses:
        initial = EmailConsentForm.initial_for(customer, consents=_loaded_consents(context, customer))
        form = EmailConsentForm(customer=customer, initial=initial)
    return {"customer": customer, "statuses": statuses, "form": form}


@register.simple_tag
def contact_log_form(customer, vehicles=(), next_url=""):
    """`vehicles`: Vehicle objects, or the profile's vehicle states (each with a `.vehicle`)."""
    vehicles = [getattr(v, "vehicle", v) for v in vehicles]
    next_url = next_url or reverse("customers:profile", args=[customer.pk]) + "#contact-history"
    return ContactLogForm(customer=customer, vehicles=vehicles, initial={"next": next_url})


@register.simple_tag
def inbound_offer(profile, user) -> bool:
    return profile.offers_inbound_log(getattr(user, "pk", None))
