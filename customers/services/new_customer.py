"""The New customer screen's save: the file (customers.services.create) and the contact methods the coordinator
turned off (contacts, through its one writer), in one transaction and one "Created" history entry.

This sits in the screens layer (.importlinter): the customer core below cannot call the contacts app.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from contacts.services.new_file import contact_methods_new_file

from ..models import ContactMethodKind
from .create import CreateResult, customer_create

METHOD_LABELS = dict(ContactMethodKind.choices)


def new_customer_save(
    *,
    dealership,
    data: dict,
    methods_off: dict,
    actor,
    token,
    confirmed=(),
    searched_dms_number: str = "",
) -> CreateResult:
    """Create the file with the methods in `methods_off` ({method: reason}) turned off, in customer_create's one
    transaction. Raises ValidationError or customers.services.create.PossibleDuplicates; nothing is written then."""
    preferred = data.get("preferred_contact_method") or ""
    if preferred and preferred in methods_off:
        raise ValidationError(
            {
                "preferred_contact_method": [
                    gettext("%(method)s is turned off below; it cannot be the preferred method.")
                    % {"method": METHOD_LABELS.get(preferred, preferred)}
                ]
            }
        )

    def methods(customer, now):
        return contact_methods_new_file(customer=customer, off=methods_off, actor=actor, now=now)

    return customer_create(
        dealership=dealership,
        data=data,
        actor=actor,
        token=token,
        confirmed=confirmed,
        searched_dms_number=searched_dms_number,
        related=methods if methods_off else None,
    )
