"""The customer history as people read it: raw audit values turned into labels and display text.

Entries store each change as {field: key, old: raw, new: raw} (customers.audit). Labels and formatting are
applied here, from the field registry, so the same field reads the same whoever changed it. Related rows named
by id (reason codes, advisors, merged files) are resolved in bulk: at most three extra queries per page.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from ..audit import Conflict
from ..fields import CONTACT_METHOD_PREFIX, VIN_TYPE_PREFIX, field_label, value_display
from ..models import AuditAction, Customer, CustomerHistory, ServiceAdvisor, TurnOffReason

PER_PAGE = 50
#: Audit action -> its label, taken once.
ACTION_LABELS: dict[str, str] = dict(AuditAction.choices)


@dataclass(frozen=True)
class ChangeRow:
    key: str
    label: str
    old: str
    new: str
    #: Said when the change resolved a conflict between a person and the DMS (customers.audit.Conflict).
    conflict: str = ""


@dataclass(frozen=True)
class HistoryRow:
    id: int
    created_at: object
    who: str
    action: str
    action_label: str
    changes: list[ChangeRow]
    note: str


def _reference_ids(entries) -> tuple[set, set, set]:
    reasons, advisors, customers = set(), set(), set()
    for entry in entries:
        for change in entry.changes or []:
            key = change.get("field", "")
            for raw in (change.get("old"), change.get("new")):
                if raw in (None, ""):
                    continue
                if isinstance(raw, dict) and (key.startswith(CONTACT_METHOD_PREFIX) or key.startswith(VIN_TYPE_PREFIX)):
                    if raw.get("reason") is not None:
                        reasons.add(raw["reason"])
                elif key == "inactive_reason":
                    reasons.add(raw)
                elif key == "preferred_advisor":
                    advisors.add(raw)
                elif key in ("merge_parent", "merge_child") and not isinstance(raw, dict):
                    customers.add(raw)
    return reasons, advisors, customers


def _describe(customer) -> str:
    return f"{customer.display_name or '(no name)'} (DealerMine # {customer.dealermine_number_display})"


def _ids(values) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _conflict_text(key: str, change: dict, references: dict) -> str:
    winner = change.get("conflict")
    if winner == Conflict.DMS:
        return f"Conflict resolved: {Conflict.DMS.label}."
    if winner == Conflict.PERSON:
        sent = value_display(key, change.get("other"), references=references) or "no value"
        return f"Conflict resolved: {Conflict.PERSON.label}; the DMS sent {sent}."
    return ""


def history_rows(entries) -> list[HistoryRow]:
    """Display rows for history entries (their `actor` should be select_related)."""
    entries = list(entries)
    reason_ids, advisor_ids, customer_ids = _reference_ids(entries)
    reasons, advisors, customers = {}, {}, {}
    if reason_ids:
        reasons = dict(TurnOffReason.objects.filter(pk__in=_ids(reason_ids)).values_list("pk", "label"))
    if advisor_ids:
        advisors = dict(ServiceAdvisor.objects.filter(pk__in=_ids(advisor_ids)).values_list("pk", "name"))
    if customer_ids:
        customers = {c.pk: _describe(c) for c in Customer.objects.filter(pk__in=_ids(customer_ids))}
    references = {
        "reason": reasons,
        "inactive_reason": reasons,
        "preferred_advisor": advisors,
        "customer": customers,
    }
    actions = ACTION_LABELS
    rows = []
    for entry in entries:
        changes = []
        for change in entry.changes or []:
            key = change.get("field", "")
            changes.append(
                ChangeRow(
                    key=key,
                    label=field_label(key),
                    old=value_display(key, change.get("old"), references=references),
                    new=value_display(key, change.get("new"), references=references),
                    conflict=_conflict_text(key, change, references),
                )
            )
        rows.append(
            HistoryRow(
                id=entry.pk,
                created_at=entry.created_at,
                who=entry.who,
                action=entry.action,
                action_label=actions.get(entry.action, entry.action),
                changes=changes,
                note=entry.note,
            )
        )
    return rows


def customer_history_page(*, customer, page=None) -> Page:
    """The customer's history, newest first, 50 per page, as display rows."""
    qs = CustomerHistory.objects.filter(customer=customer).select_related("actor").order_by("-created_at", "-id")
    result = Paginator(qs, PER_PAGE).get_page(page)
    result.object_list = history_rows(result.object_list)
    return result
