from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from customers.selectors import customer_get_for_user

from ..forms import EmailConsentForm
from ..models import EmailConsent
from ..selectors import customer_email_statuses
from ..services import email_consent_record


def customer_edit_url(customer) -> str:
    """Back to the consent panel on the Customer Information screen."""
    return reverse("customers:edit", args=[customer.pk]) + "#email-consent"


@require_http_methods(["GET", "POST"])
def consent_update_view(request, pk):
    """GET: the consent ledger of the customer's addresses with the form; POST: record it, back to the edit page.

    An invalid POST re-renders this page with the errors beside the fields (nothing is saved).
    """
    customer = customer_get_for_user(user=request.user, pk=pk, queryset=Customer.objects.select_related("dealership"))
    if request.method == "POST":
        form = EmailConsentForm(request.POST, customer=customer)
        if form.is_valid():
            data = form.cleaned_data
            existing = EmailConsent.objects.filter(customer=customer, email=data["email"]).first()
            email_consent_record(
                customer=customer,
                email=data["email"],
                basis=data["basis"],
                source=data["source"],
                evidence=data["evidence"],
                obtained_at=form.obtained_at(existing=existing),
                opted_out=data["opted_out"],
                actor=request.user,
            )
            messages.success(request, gettext("Email consent for %(email)s saved.") % {"email": data["email"]})
            return redirect(customer_edit_url(customer))
        status = 400
    else:
        form = EmailConsentForm(
            customer=customer, initial=EmailConsentForm.initial_for(customer, request.GET.get("email", ""))
        )
        status = 200
    context = {
        "customer": customer,
        "form": form,
        "statuses": customer_email_statuses(customer=customer),
        "back_url": customer_edit_url(customer),
    }
    return render(request, "contacts/consent.html", context, status=status)
