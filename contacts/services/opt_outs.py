"""Opt-out import: a CSV keyed by cell number or email turns off the Cell Phone / Email contact methods of every
matching customer of the store, with the import as the actor. Re-running the same file changes nothing."""

import csv
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from customers.audit import Change, history_record
from customers.fields import EMAIL_FIELDS
from customers.models import AuditAction, ContactMethodKind, Customer, HistorySource, TurnOffReason, has_value
from customers.phones import phone_normalize

from ..audit_keys import consent_key
from ..models import ContactMethod
from .bounces import ImportFormatError
from .consent import email_consent_opt_out
from .methods import contact_method_switch

DEFAULT_REASON_CODE = "OPTOUT"
#: Stored as the global reason's label in English, shown in the reader's language (TurnOffReason.display_label).
DEFAULT_REASON_LABEL = gettext_noop("Opted out (import)")
PHONE_COLUMNS = ("cell_phone", "cell", "mobile", "phone", "sms")
EMAIL_COLUMNS = ("email", "email_address")
KEY_COLUMNS = ("key", "value", "contact")


def opt_out_reason_get(*, dealership, code: str | None = None) -> TurnOffReason:
    """The Turn Off reason the import records: `code` (the store's own or a global one, active, for contact
    methods), or the global OPTOUT code, created on first use."""
    if code:
        reason = (
            TurnOffReason.objects.filter(Q(dealership=dealership) | Q(dealership__isnull=True), code=code)
            .order_by(F("dealership_id").asc(nulls_last=True))  # the store's own code wins over a global one
            .first()
        )
        if reason is None:
            message = gettext("Unknown Turn Off reason %(code)s for %(store)s.")
            raise ValueError(message % {"code": repr(code), "store": dealership.code})
    else:
        reason, _ = TurnOffReason.objects.get_or_create(
            dealership=None,
            code=DEFAULT_REASON_CODE,
            defaults={"label": DEFAULT_REASON_LABEL, "applies_to_contact_method": True},
        )
    if not reason.is_active:
        raise ValueError(gettext("Turn Off reason %(code)s is not active.") % {"code": repr(reason.code)})
    if not reason.applies_to_contact_method:
        raise ValueError(
            gettext("Turn Off reason %(code)s does not apply to contact methods.") % {"code": repr(reason.code)}
        )
    return reason


@dataclass
class OptOutImportResult:
    rows: int = 0
    keys: int = 0
    customers_matched: int = 0
    turned_off: int = 0
    already_off: int = 0
    unknown_keys: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _row_keys(data: dict, *, region: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(kind, normalized key)] found in a row, and error messages for values that are not valid keys."""
    keys, errors = [], []
    raw_phone = next((data[c] for c in PHONE_COLUMNS if data.get(c)), "")
    raw_email = next((data[c] for c in EMAIL_COLUMNS if data.get(c)), "")
    raw_key = next((data[c] for c in KEY_COLUMNS if data.get(c)), "")
    if raw_key:
        if "@" in raw_key:
            raw_email = raw_email or raw_key
        else:
            raw_phone = raw_phone or raw_key
    if raw_phone:
        try:
            keys.append(("cell_phone", phone_normalize(raw_phone, region=region)))
        except ValidationError:
            errors.append(gettext("%(value)s is not a valid phone number") % {"value": repr(raw_phone)})
    if raw_email:
        email = raw_email.strip().lower()
        try:
            validate_email(email)
            keys.append(("email", email))
        except ValidationError:
            errors.append(gettext("%(value)s is not a valid email address") % {"value": repr(raw_email)})
    if not raw_phone and not raw_email:
        errors.append(gettext("no cell number or email in this row"))
    return keys, errors


def _email_matches(customers, address: str):
    """Customers with `address` in any email field (case-insensitive; repeats the partial indexes' condition)."""
    lowered = {f"lower_{name}": Lower(name) for name in EMAIL_FIELDS}
    cond = Q()
    for name in EMAIL_FIELDS:
        cond |= Q(**{f"lower_{name}": address}) & has_value(name)
    return customers.annotate(**lowered).filter(cond)


def _already_off(customer, method) -> bool:
    return ContactMethod.objects.filter(customer=customer, method=method, is_on=False).exists()


def _opt_out_customer(*, customer, kind: str, key: str, reason, label: str, now) -> bool:
    """Turn one method off (and, for email, opt the address out in the consent ledger). True when it changed.

    A method that is already off keeps its own reason and history: the opt-out adds nothing to it.
    """
    with transaction.atomic():
        if kind == "cell_phone":
            if _already_off(customer, ContactMethodKind.CELL_PHONE):
                return False
            changed = contact_method_switch(
                customer=customer,
                method=ContactMethodKind.CELL_PHONE,
                is_on=False,
                reason=reason,
                actor_label=label,
                source=HistorySource.IMPORT,
                comment=f"Opt-out of {key}",
                now=now,
            )
            return changed is not None
        opted = email_consent_opt_out(customer=customer, email=key, history_source=HistorySource.IMPORT, now=now)
        consent_change = [Change(consent_key(key, "opted_out_at"), None, now)] if opted else []
        changed = (
            None
            if _already_off(customer, ContactMethodKind.EMAIL)
            else contact_method_switch(
                customer=customer,
                method=ContactMethodKind.EMAIL,
                is_on=False,
                reason=reason,
                actor_label=label,
                source=HistorySource.IMPORT,
                comment=f"Opt-out of {key}",
                extra_changes=consent_change,
                now=now,
            )
        )
        if changed is None and consent_change:
            history_record(
                customer=customer,
                source=HistorySource.IMPORT,
                actor_label=label,
                action=AuditAction.EMAIL_CONSENT,
                changes=consent_change,
                now=now,
            )
        return changed is not None or bool(opted)


def opt_outs_import(*, dealership, stream, filename: str, reason: TurnOffReason, now=None) -> OptOutImportResult:
    """Apply an opt-out list (a text stream of CSV with a header) to one store's customers."""
    now = now or timezone.now()
    label = f"import: {filename}"[:120]
    reader = csv.DictReader(stream)
    if not reader.fieldnames:
        raise ImportFormatError(gettext("The file is empty or has no header row."))
    header = {(name or "").strip().lower(): name for name in reader.fieldnames}
    if not set(header) & set(PHONE_COLUMNS + EMAIL_COLUMNS + KEY_COLUMNS):
        raise ImportFormatError(
            gettext("No key column: expected one of %(columns)s.")
            % {"columns": ", ".join(PHONE_COLUMNS + EMAIL_COLUMNS + KEY_COLUMNS)}
        )
    result = OptOutImportResult()
    customers = Customer.objects.filter(dealership=dealership)
    for row in reader:
        data = {key: (row.get(original) or "").strip() for key, original in header.items()}
        if not any(data.values()):
            continue
        result.rows += 1
        keys, errors = _row_keys(data, region=dealership.country)
        for message in errors:
            result.errors.append((reader.line_num, message))
        for kind, key in keys:
            result.keys += 1
            matches = customers.filter(cell_phone=key) if kind == "cell_phone" else _email_matches(customers, key)
            matched = list(matches.order_by("pk"))
            if not matched:
                result.unknown_keys.append((reader.line_num, key))
                continue
            result.customers_matched += len(matched)
            for customer in matched:
                if _opt_out_customer(customer=customer, kind=kind, key=key, reason=reason, label=label, now=now):
                    result.turned_off += 1
                else:
                    result.already_off += 1
    return result
