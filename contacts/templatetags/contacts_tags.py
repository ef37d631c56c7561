"""Template tags that let other screens show contacts data without changing their views.

{% load contacts_tags %}
{% email_consent_panel customer as consent_panel %}   -> the consent panel's context (Customer Information)
{% customer_email_statuses customer as email_statuses %} -> EmailStatus per address (profile: invalid,
                                                           bounce count/limit, opted out, consent expired)
"""

from django import template

from ..forms import EmailConsentForm
from ..selectors import customer_email_statuses as _customer_email_statuses

register = template.Library()


@register.simple_tag
def customer_email_statuses(customer):
    return _customer_email_statuses(customer=customer)


@register.simple_tag
def email_consent_panel(customer):
    statuses = _customer_email_statuses(customer=customer)
    form = EmailConsentForm(customer=customer, initial=EmailConsentForm.initial_for(customer)) if statuses else None
    return {"customer": customer, "statuses": statuses, "form": form}
