"""Creating a customer file by hand (the New customer screen, DESIGN §5 "New customer").

A new file is validated by the Customer Information rules (customers.services.validation, run on a blank file of
the store, so phones, emails, postal codes, Default Email, status and reason read exactly as on that screen) plus
what only a new file needs: its kind (person, business, prospect), a name for that kind, a way to reach the
customer, a preferred method with something on file.

`customer_create` then, in one transaction under the store row's lock (customers.numbers):
1. returns the file an earlier POST of the same form created (its one-time token, customers.models.creation),
   so a double click or a resent request never makes a second file;
2. runs the identity check (customers.selectors.identity: the matching behind "Customers available to be
   merged") and refuses with `PossibleDuplicates` while a matching file has not been confirmed by the coordinator
   ("create anyway"); under the lock, so two coordinators creating the same walk-in at once cannot both pass;
3. takes the store's next DealerMine number, records who entered the file (a prospect shows "Entered by"), and
   writes the first history entry ("Created": every value entered, the files the coordinator created it anyway
   beside, a number on the store's do-not-call list).
A new file has no DMS number (the DMS gives it one if it ever sends the customer), hence no DMS base to keep
(customers.edits) and no remove requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..audit import Change, history_record, raw_value, turn_off_record
from ..fields import BY_KEY, EDIT_FIELDS, customer_link_raw, fields_where, keys
from ..models import AuditAction, Customer, CustomerCreation, CustomerKind, CustomerStatus, TurnOffTarget
from ..numbers import dealermine_number_take, dealership_lock
from ..phones import phone_display
from ..rules import method_has_value
from ..selectors.identity import IdentityMatch, do_not_call_numbers, identity_keys, identity_matches
from .validation import customer_clean_data

#: What a new file takes besides the Customer Information fields (both declared in the field registry).
NEW_FILE_EXTRA = ("kind", "preferred_contact_method")
#: The fields a new file is created with, in the registry's order.
NEW_FILE_FIELDS: tuple[str, ...] = (*EDIT_FIELDS, *NEW_FILE_EXTRA)
#: The fields a contact method reaches the customer by (phones, emails, mailing address): a new file needs one.
REACH_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: bool(f.contact_method)))
KIND_CHOICES = dict(BY_KEY["kind"].choices)
METHOD_CHOICES = dict(BY_KEY["preferred_contact_method"].choices)
POSSIBLE_DUPLICATE = "possible_duplicate"  # history key of a file the new one was created beside (fields.py)


class PossibleDuplicates(Exception):
    """The identity check found files of the store that may be this customer; nothing was written.

    `matches`: every matching file with its reasons; `unconfirmed`: the ids the coordinator has not yet seen and
    confirmed ("create anyway" covers only the files that were listed)."""

    def __init__(self, matches: list[IdentityMatch], *, unconfirmed: set[int], do_not_call: set[str]):
        self.matches = matches
        self.unconfirmed = unconfirmed
        self.do_not_call = do_not_call
        super().__init__(f"{len(matches)} possible existing file(s)")


@dataclass
class CreateResult:
    customer: Customer
    #: False when the form's token had already created this file (a second POST of the same form).
    created: bool
    #: The files the coordinator confirmed "create anyway" beside.
    created_anyway: list[IdentityMatch] = field(default_factory=list)
    #: The new file's numbers that are on the store's do-not-call list.
    do_not_call: set[str] = field(default_factory=set)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def customer_new_clean(*, dealership, data: dict) -> dict:
    """Validate and normalize a new file's values (any of NEW_FILE_FIELDS); return them cleaned.

    Raises ValidationError with a dict of field -> messages; every problem is reported at once."""
    unknown = set(data) - set(NEW_FILE_FIELDS)
    if unknown:
        raise ValueError(f"Not a new file's field: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    try:
        cleaned = customer_clean_data(
            customer=Customer(dealership=dealership), data={k: v for k, v in data.items() if k in EDIT_FIELDS}
        )
    except ValidationError as exc:
        errors = {name: list(messages) for name, messages in exc.message_dict.items()}

    def err(name, message):
        errors.setdefault(name, []).append(message)

    kind = _text(data.get("kind"))
    if kind not in KIND_CHOICES:
        err("kind", gettext("Choose the customer type: person, business or prospect."))
    elif kind == CustomerKind.BUSINESS and not _text(data.get("other_name")):
        err("other_name", gettext("Enter the company name of a business."))
    elif kind != CustomerKind.BUSINESS and not _text(data.get("last_name")):
        err(
            "last_name",
            gettext("Enter the last name of a prospect.")
            if kind == CustomerKind.PROSPECT
            else gettext("Enter the last name of a person."),
        )
    if not any(_text(data.get(name)) for name in REACH_FIELDS):
        err(
            NON_FIELD_ERRORS,
            gettext(
                "Enter at least one way to reach the customer: a phone, an email or a mailing address (Address 1)."
            ),
        )
    method = _text(data.get("preferred_contact_method"))
    if method and method not in METHOD_CHOICES:
        err("preferred_contact_method", gettext("Choose a contact method."))
    elif method and not method_has_value(SimpleNamespace(**{k: _text(data.get(k)) for k in EDIT_FIELDS}), method):
        err(
            "preferred_contact_method",
            gettext("%(method)s has nothing entered; enter it or choose another.") % {"method": METHOD_CHOICES[method]},
        )
    if errors:
        raise ValidationError(errors)
    cleaned["kind"] = kind
    cleaned["preferred_contact_method"] = method
    return cleaned


def _who(actor) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor is not None else ""


def _created_changes(values: dict) -> list[Change]:
    """The Created entry lists every value entered (raw), in the registry's order; defaults are left out."""
    changes = []
    for name in (*NEW_FILE_FIELDS, "entered_by_name"):
        value = raw_value(values.get(name))
        if value in (None, "", False) or (name == "status" and value == CustomerStatus.ACTIVE):
            continue
        changes.append(Change(name, None, value))
    return changes


def _note(created_anyway: list[IdentityMatch], do_not_call: set[str]) -> str:
    """The Created entry's note: stored, hence in English whatever the coordinator's language (the reasons are
    lazy texts, rendered here in English)."""
    with translation.override("en"):
        return _note_text(created_anyway, do_not_call)


def _note_text(created_anyway: list[IdentityMatch], do_not_call: set[str]) -> str:
    parts = ["Created on the New customer screen."]
    if created_anyway:
        listed = "; ".join(
            f"{m.customer.display_name or '(no name)'} (DealerMine # {m.customer.dealermine_number_display}): "
            f"{', '.join(str(reason) for reason in m.reasons)}"
            for m in created_anyway
        )
        parts.append(f"Created anyway beside the possible existing files the identity check listed: {listed}.")
    if do_not_call:
        numbers = ", ".join(phone_display(p) for p in sorted(do_not_call))
        parts.append(f"On the store's do-not-call list: {numbers}.")
    return " ".join(parts)


def customer_existing_for_token(*, token) -> Customer | None:
    """The file a New customer form with this token created, if any."""
    row = CustomerCreation.objects.filter(token=token).select_related("customer").first()
    return row.customer if row is not None else None


@transaction.atomic
def customer_create(
    *,
    dealership,
    data: dict,
    actor,
    token,
    confirmed: Iterable[int] = (),
    searched_dms_number: str = "",
    related: Callable[[Customer, object], list[Change]] | None = None,
) -> CreateResult:
    """Create a file in `dealership` for `actor` (who must work for the store: the caller checked) from `data`
    (NEW_FILE_FIELDS). See the module docstring for the steps.

    `confirmed`: ids of the files the coordinator saw listed and confirmed "create anyway" beside.
    `searched_dms_number`: a DMS number the coordinator searched for before creating (also an identity key).
    `related(customer, now)`: writes made in the same step by a layer above (e.g. contact methods turned off),
    returning their history changes for the Created entry.
    Raises ValidationError (nothing written) or PossibleDuplicates (nothing written).
    """
    cleaned = customer_new_clean(dealership=dealership, data=data)
    counter = dealership_lock(dealership_id=dealership.pk)  # held until commit: token, identity check, number
    existing = customer_existing_for_token(token=token)
    if existing is not None:
        return CreateResult(customer=existing, created=False)

    customer = Customer(dealership=dealership, **cleaned)
    keys = identity_keys(customer, dms_number=searched_dms_number)
    matches = identity_matches(user_id=actor.pk, dealership_id=dealership.pk, keys=keys, merged=True)
    do_not_call = do_not_call_numbers(dealership_id=dealership.pk, phones=keys.phones)
    unconfirmed = {m.customer.pk for m in matches} - set(confirmed)
    if unconfirmed:
        raise PossibleDuplicates(matches, unconfirmed=unconfirmed, do_not_call=do_not_call)

    now = timezone.now()
    customer.dealermine_number = dealermine_number_take(dealership_id=dealership.pk, counter=counter)
    customer.entered_by = actor
    customer.entered_by_name = _who(actor)[: Customer._meta.get_field("entered_by_name").max_length]
    if customer.status == CustomerStatus.INACTIVE:
        customer.inactivated_at = now
        customer.inactivated_by = actor
    customer.save(force_insert=True)
    CustomerCreation.objects.create(token=token, customer=customer, created_by=actor, created_at=now)

    changes = _created_changes({**cleaned, "entered_by_name": customer.entered_by_name})
    if related is not None:
        changes += related(customer, now)
    changes += [Change(POSSIBLE_DUPLICATE, None, customer_link_raw(m.customer)) for m in matches]
    history_record(
        customer=customer,
        actor=actor,
        action=AuditAction.CREATE,
        changes=changes,
        note=_note(matches, do_not_call),
        now=now,
    )
    if customer.status == CustomerStatus.INACTIVE:
        turn_off_record(
            customer=customer,
            target=TurnOffTarget.STATUS,
            code="status",
            is_on=False,
            reason=customer.inactive_reason,
            comment="Created inactive",
            actor=actor,
            now=now,
        )
    return CreateResult(customer=customer, created=True, created_anyway=matches, do_not_call=do_not_call)


__all__ = [
    "NEW_FILE_FIELDS",
    "CreateResult",
    "PossibleDuplicates",
    "customer_create",
    "customer_existing_for_token",
    "customer_new_clean",
]
