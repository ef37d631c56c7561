"""The customer history as people read it: raw audit values turned into labels and display text.

Entries store each change as {field: key, old: raw, new: raw} (customers.audit). Labels and formatting are
applied here, from the field registry, so the same field reads the same whoever changed it, in the reader's
language. Related rows named by id (reason codes, advisors, merged files) are resolved in bulk: at most three
extra queries per page, none for the rows the screen passes as already loaded (`HistoryReferences`).

What the product itself writes beside the changes is stored in English and translated here when shown: the
actor label ("DMS sync", CustomerHistory.who) and the notes of removals, lifts, merges, unmerges and New
customer (`note_display`). A note a person typed (a comment, an association note) is shown as typed.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.core.paginator import Page, Paginator
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..audit import Conflict
from ..fields import (
    BY_KEY,
    CONTACT_METHOD_PREFIX,
    REMOVABLE_FIELDS,
    VIN_TYPE_PREFIX,
    customer_describe,
    customer_name_display,
    field_label,
    value_display,
)
from ..models import AuditAction, Customer, CustomerHistory, Relationship, ServiceAdvisor, TurnOffReason

PER_PAGE = 50
#: Audit action -> its (lazy) label, taken once.
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
    return customer_describe(customer.display_name, customer.dealermine_number_display)


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
        return gettext("Conflict resolved: %(winner)s.") % {"winner": Conflict.DMS.label}
    if winner == Conflict.PERSON:
        sent = value_display(key, change.get("other"), references=references) or gettext("no value")
        return gettext("Conflict resolved: %(winner)s; the DMS sent %(value)s.") % {
            "winner": Conflict.PERSON.label,
            "value": sent,
        }
    return ""


@dataclass(frozen=True)
class HistoryReferences:
    """Rows a screen already loaded that history entries may name, so they are not read again: reason codes,
    service advisors and customers (merged files). Names the entries use beyond these are read as usual."""

    reasons: Iterable[TurnOffReason] = ()
    advisors: Iterable[ServiceAdvisor] = ()
    customers: Iterable[Customer] = ()


def _missing(ids, known: dict) -> list[int]:
    return [pk for pk in _ids(ids) if pk not in known]


def history_rows(entries, *, known: HistoryReferences | None = None) -> list[HistoryRow]:
    """Display rows for history entries (their `actor` should be select_related)."""
    entries = list(entries)
    known = known or HistoryReferences()
    reason_ids, advisor_ids, customer_ids = _reference_ids(entries)
    reasons = {r.pk: r.display_label() for r in known.reasons} if reason_ids else {}
    advisors = {a.pk: a.name for a in known.advisors} if advisor_ids else {}
    customers = {c.pk: _describe(c) for c in known.customers} if customer_ids else {}
    if missing := _missing(reason_ids, reasons):
        reasons |= {
            pk: TurnOffReason.label_for_display(label, dealership_id=store)
            for pk, label, store in TurnOffReason.objects.filter(pk__in=missing).values_list(
                "pk", "label", "dealership_id"
            )
        }
    if missing := _missing(advisor_ids, advisors):
        advisors |= dict(ServiceAdvisor.objects.filter(pk__in=missing).values_list("pk", "name"))
    if missing := _missing(customer_ids, customers):
        customers |= {c.pk: _describe(c) for c in Customer.objects.filter(pk__in=missing)}
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
                action_label=str(actions.get(entry.action, entry.action)),
                changes=changes,
                note=note_display(entry.note),
            )
        )
    return rows


# --- the product's own notes ------------------------------------------------------------------------------------
# Stored as the services write them, in English (customers.services.create, .merge, dms_sync.services.removal,
# .suppressions); read back here into the reader's language. A note that matches none of them (a person's own
# words) is shown as stored, and so is any part that is a person's words or data (names, values, a typed reason).

_FIXED_NOTES = {
    "Removed permanently.": _("Removed permanently."),
    "Removed permanently; remove request queued for the DMS.": _(
        "Removed permanently; remove request queued for the DMS."
    ),
}
_CREATED = re.compile(
    r"^Created on the New customer screen\."
    r"(?: Created anyway beside the possible existing files the identity check listed: (?P<listed>.*?)\.)?"
    r"(?: On the store's do-not-call list: (?P<numbers>[^:]*)\.)?$",
    re.DOTALL,
)
_CREATED_MATCH = re.compile(r"^(?P<name>.*? \(DealerMine # [^()]*\)): (?P<reasons>.*)$", re.DOTALL)
_REASON = re.compile(
    r"Same phone (?P<phone>.+?) \((?P<field>[^()]+)\)(?=, |$)"
    r"|Same email \((?P<email>[^()]*)\)"
    r"|Same last name, first initial and postal code"
    r"|Same DMS number \((?P<number>[^()]*)\)"
)
_LIFT = re.compile(r"^Removal of (?P<rest>.*?) lifted: (?P<reason>.*)$", re.DOTALL)
_MERGED_INTO = re.compile(r"^Merged into (?P<who>.+) as (?P<relationship>[^.]+)\.$", re.DOTALL)
_MERGED = re.compile(r"^Merged (?P<count>\d+) file\(s\) into this customer: (?P<files>.*)\.$", re.DOTALL)
_KEPT_REMOVED = " Removed values kept removed: "
_UNMERGED_FROM = re.compile(r"^Unmerged from (?P<who>.+)\.$", re.DOTALL)
_UNMERGED = re.compile(r"^Unmerged (?P<who>.+?)(?:; took back (?P<fields>.+))?\.$", re.DOTALL)


def _english(text) -> str:
    with translation.override(None):
        return str(text)


@cache
def _english_field_labels() -> dict[str, str]:
    """English field label -> field key (the notes name fields by their English label)."""
    return {_english(f.label): f.key for f in BY_KEY.values()}


@cache
def _english_relationships() -> dict[str, Relationship]:
    return {_english(r.label): r for r in Relationship}


def _field_shown(english: str) -> str:
    key = _english_field_labels().get(english)
    return field_label(key) if key else english


def _relationship_shown(english: str) -> str:
    relationship = _english_relationships().get(english)
    return str(relationship.label) if relationship is not None else english


def _labelled_value(text: str, keys) -> str:
    """A stored "<English field label> <value>" with the label in the reader's language (the longest that fits)."""
    labels = sorted(((_english(BY_KEY[k].label), k) for k in keys), key=lambda pair: -len(pair[0]))
    for english, key in labels:
        if text.startswith(english + " "):
            return f"{field_label(key)} {text[len(english) + 1 :]}"
    return text


def _reasons_shown(text: str) -> str:
    """The identity check's reasons (customers.selectors.identity), each in the reader's language."""

    def one(match: re.Match) -> str:
        if match["phone"] is not None:
            field = next((k for k in BY_KEY if _english(BY_KEY[k].label).lower() == match["field"]), None)
            shown = field_label(field).lower() if field else match["field"]
            return gettext("Same phone %(phone)s (%(field)s)") % {"phone": match["phone"], "field": shown}
        if match["email"] is not None:
            return gettext("Same email (%(email)s)") % {"email": match["email"]}
        if match["number"] is not None:
            return gettext("Same DMS number (%(number)s)") % {"number": match["number"]}
        return gettext("Same last name, first initial and postal code")

    return _REASON.sub(one, text)


def _created_shown(match: re.Match) -> str:
    parts = [gettext("Created on the New customer screen.")]
    if match["listed"] is not None:
        listed = []
        for item in match["listed"].split("; "):
            found = _CREATED_MATCH.match(item)
            if found is None:
                listed.append(item)
                continue
            listed.append(
                gettext("%(customer)s: %(reasons)s")
                % {"customer": customer_name_display(found["name"]), "reasons": _reasons_shown(found["reasons"])}
            )
        parts.append(
            gettext("Created anyway beside the possible existing files the identity check listed: %(files)s.")
            % {"files": "; ".join(listed)}
        )
    if match["numbers"] is not None:
        parts.append(gettext("On the store's do-not-call list: %(numbers)s.") % {"numbers": match["numbers"]})
    return " ".join(parts)


def _merged_file_shown(item: str) -> str:
    who, sep, relationship = item.rpartition(" as ")
    if not sep:
        return customer_name_display(item)
    return gettext("%(customer)s as %(relationship)s") % {
        "customer": customer_name_display(who),
        "relationship": _relationship_shown(relationship),
    }


def _merged_shown(note: str) -> str | None:
    head, sep, kept = note.partition(_KEPT_REMOVED)
    if sep and not kept.endswith("."):
        return None
    match = _MERGED.match(head)
    if match is None:
        return None
    files = "; ".join(_merged_file_shown(item) for item in match["files"].split("; "))
    shown = gettext("Merged %(count)s file(s) into this customer: %(files)s.") % {
        "count": match["count"],
        "files": files,
    }
    if sep:
        values = ", ".join(_labelled_value(v, REMOVABLE_FIELDS) for v in kept[:-1].split(", "))
        shown += " " + gettext("Removed values kept removed: %(values)s.") % {"values": values}
    return shown


def note_display(note: str) -> str:
    """A history note in the reader's language: the product's own notes (stored in English) translated, their
    names, values and typed reasons kept; any other note as stored."""
    if not note:
        return ""
    if note in _FIXED_NOTES:
        return str(_FIXED_NOTES[note])
    if (match := _CREATED.match(note)) is not None:
        return _created_shown(match)
    if (match := _LIFT.match(note)) is not None:
        return gettext("Removal of %(value)s lifted: %(reason)s") % {
            "value": _labelled_value(match["rest"], REMOVABLE_FIELDS),
            "reason": match["reason"],
        }
    if (match := _MERGED_INTO.match(note)) is not None:
        return gettext("Merged into %(customer)s as %(relationship)s.") % {
            "customer": customer_name_display(match["who"]),
            "relationship": _relationship_shown(match["relationship"]),
        }
    if note.startswith("Merged ") and (shown := _merged_shown(note)) is not None:
        return shown
    if (match := _UNMERGED_FROM.match(note)) is not None:
        return gettext("Unmerged from %(customer)s.") % {"customer": customer_name_display(match["who"])}
    if (match := _UNMERGED.match(note)) is not None:
        customer = customer_name_display(match["who"])
        if match["fields"] is None:
            return gettext("Unmerged %(customer)s.") % {"customer": customer}
        fields = ", ".join(_field_shown(label) for label in match["fields"].split(", "))
        return gettext("Unmerged %(customer)s; took back %(fields)s.") % {"customer": customer, "fields": fields}
    return note


def customer_history_page(
    *, customer, page=None, count: int | None = None, known: HistoryReferences | None = None
) -> Page:
    """The customer's history, newest first, 50 per page, as display rows. A screen that counted the entries in
    its own query passes `count` (no COUNT query), and the rows it loaded that entries may name as `known`."""
    qs = CustomerHistory.objects.filter(customer=customer).select_related("actor").order_by("-created_at", "-id")
    paginator = Paginator(qs, PER_PAGE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    result = paginator.get_page(page)
    result.object_list = history_rows(result.object_list if paginator.count else [], known=known)
    return result
