"""Identity matching: which files of a store may be the same customer as a given one, and why.

One rule serves "Customers available to be merged" (customers.selectors.duplicates) and the identity check of
the New customer screen (customers.services.create), so a coordinator is warned before creating exactly the file
the merge panel would list afterwards. A file matches when, in the same store, it has
- a phone equal to any of the given phones, in any of its phone fields (home, work, cell, fax; stored E.164);
- an email equal to either given email (case-insensitive);
- the same last name, first initial and postal code;
- the given DMS number (what the coordinator searched for before creating a file; a saved file's own number is
  unique in its store, so it never matches another file).
Keys come from any object with the customer's attributes: a saved file, or an unsaved one built from a form's
cleaned values (`identity_keys`). One SQL query, compiled once (dealermine.db), whatever the number of matches.

The store's do-not-call list (DESIGN §4) flags a new file's numbers through the hook at the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from dealermine.db import CompiledQuery, Prefix

from ..fields import EMAIL_FIELDS, PHONE_FIELDS, field_label
from ..models import Customer, has_value
from ..phones import phone_display
from .tenancy import dealerships_for_user_id

MATCH_LIMIT = 50
# Fixed slots for the probe's distinct phones and emails (NULL when it has fewer).
PHONE_SLOTS = [f"phone{i}" for i in range(len(PHONE_FIELDS))]
EMAIL_SLOTS = [f"email{i}" for i in range(len(EMAIL_FIELDS))]
# The reasons are read by people in their language, but the Created history note stores them in English
# (customers.services.create): each reason is a lazy text, rendered in whatever language is active when shown.
SAME_PHONE = gettext_noop("Same phone %(phone)s (%(field)s)")
SAME_EMAIL = gettext_noop("Same email (%(email)s)")
SAME_NAME_POSTAL = gettext_noop("Same last name, first initial and postal code")
SAME_DMS_NUMBER = gettext_noop("Same DMS number (%(number)s)")


def _render_reason(msgid: str, params: dict) -> str:
    values = {name: (value() if callable(value) else value) for name, value in params.items()}
    return gettext(msgid) % values if values else gettext(msgid)


_lazy_reason = lazy(_render_reason, str)


def _reason(msgid: str, **params):
    """A reason as a lazy text: translated (and its parameters read) when it is shown. A parameter may be a
    callable, called then (a field label in the language shown)."""
    return _lazy_reason(msgid, params)


@dataclass(frozen=True)
class IdentityKeys:
    """What a file is matched on, normalized: E.164 phones, lower-case emails, lower-case last name and first
    initial, upper-case postal code, a DMS number."""

    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    last: str = ""
    first_initial: str = ""
    postal: str = ""
    dms_number: str = ""

    @property
    def by_name(self) -> bool:
        return bool(self.last and self.first_initial and self.postal)

    def __bool__(self) -> bool:
        return bool(self.phones or self.emails or self.by_name or self.dms_number)


def identity_keys(customer, *, dms_number: str = "") -> IdentityKeys:
    """The keys of a file (saved or not). `dms_number`: a number to look for besides the file's own."""
    return IdentityKeys(
        phones=frozenset(v for f in PHONE_FIELDS if (v := getattr(customer, f, ""))),
        emails=frozenset(v.strip().lower() for f in EMAIL_FIELDS if (v := getattr(customer, f, ""))),
        last=(customer.last_name or "").strip().lower(),
        first_initial=(customer.first_name or "").strip()[:1].lower(),
        postal=(customer.postal_code or "").strip().upper(),
        dms_number=(dms_number or "").strip(),
    )


@dataclass
class IdentityMatch:
    """A file that may be the same customer, with each reason it matched."""

    customer: Customer
    reasons: list[str] = field(default_factory=list)
    has_children: bool = False

    @property
    def can_merge(self) -> bool:
        return not self.has_children

    @property
    def family_head(self) -> Customer:
        """The file to open: a Duplicate's parent (search lands there too, when it was loaded), else the file."""
        if self.customer.is_duplicate_child and Customer.merge_parent.is_cached(self.customer):
            return self.customer.merge_parent or self.customer
        return self.customer


def _fill(names: list[str], values: Iterable) -> dict:
    """Each value in its slot, None in the slots left over."""
    values = sorted(values)
    return {name: values[i] if i < len(values) else None for i, name in enumerate(names)}


def _matches_query(*, merged: bool):
    """The query builder: `merged=False` leaves merged files out (the merge panel: they are in a family already);
    `merged=True` keeps them, with their parent joined (the identity check: any file is a reason to stop)."""

    def build(*, user_id, dealership_id, exclude_pk, last, first_initial, postal, dms_number, **slots):
        phones = [slots[name] for name in PHONE_SLOTS]
        emails = [slots[name] for name in EMAIL_SLOTS]
        cond = Q()
        # Each branch repeats the partial index's condition (`<> ''`) so PostgreSQL can use it (models.Customer).
        for f in PHONE_FIELDS:
            cond |= Q(**{f"{f}__in": phones}) & has_value(f)
        for f in EMAIL_FIELDS:
            cond |= Q(**{f"lower_{f}__in": emails}) & has_value(f)
        cond |= Q(ln=last, fn__startswith=first_initial, postal_code=postal)
        cond |= Q(dms_number=dms_number) & has_value("dms_number")
        qs = (
            Customer.objects.filter(
                dealership__in=dealerships_for_user_id(user_id=user_id), dealership_id=dealership_id
            )
            .annotate(**{f"lower_{f}": Lower(f) for f in EMAIL_FIELDS}, ln=Lower("last_name"), fn=Lower("first_name"))
            .filter(cond)
            .exclude(pk=exclude_pk)
            .annotate(has_children=Exists(Customer.objects.filter(merge_parent=OuterRef("pk"))))
        )
        qs = qs.select_related("merge_parent") if merged else qs.filter(merge_parent__isnull=True)
        return qs.order_by("last_name", "first_name", "id")[:MATCH_LIMIT]

    return build


_SLOTS = {
    "user_id": int,
    "dealership_id": int,
    "exclude_pk": int,
    **dict.fromkeys([*PHONE_SLOTS, *EMAIL_SLOTS, "last", "postal", "dms_number"], str),
    "first_initial": Prefix,
}
# One SQL text for every probe (a key it lacks is NULL, which matches nothing), compiled once: the profile and
# Customer Information show the merge panel on every view. PostgreSQL still plans each run for its values
# (~1 ms), rightly: a generic plan cannot tell which of the OR's indexes are selective and scans the store.
UNMERGED_MATCHES_QUERY = CompiledQuery(_matches_query(merged=False), **_SLOTS)
ALL_MATCHES_QUERY = CompiledQuery(_matches_query(merged=True), **_SLOTS)


def identity_matches(
    *, user_id: int, dealership_id: int, keys: IdentityKeys, exclude_pk: int | None = None, merged: bool = False
) -> list[IdentityMatch]:
    """Files of the store (one of the user's) matching `keys`, each with why (at most MATCH_LIMIT; one query).
    `merged`: also merged files (their parent joined), else only files that are not in a family."""
    if not keys:
        return []
    by_name = keys.by_name
    query = ALL_MATCHES_QUERY if merged else UNMERGED_MATCHES_QUERY
    found = query.all(
        user_id=user_id,
        dealership_id=dealership_id,
        exclude_pk=exclude_pk if exclude_pk is not None else 0,
        **_fill(PHONE_SLOTS, keys.phones),
        **_fill(EMAIL_SLOTS, keys.emails),
        last=keys.last if by_name else None,
        first_initial=keys.first_initial if by_name else None,
        postal=keys.postal if by_name else None,
        dms_number=keys.dms_number or None,
    )
    out = []
    for other in found:
        reasons = match_reasons(other, keys)
        if reasons:
            out.append(IdentityMatch(customer=other, reasons=reasons, has_children=other.has_children))
    return out


def match_reasons(other, keys: IdentityKeys) -> list[str]:
    """Why `other` matches `keys`, in words (no queries): lazy texts, in the language active when shown."""
    reasons = []
    for f in PHONE_FIELDS:
        value = getattr(other, f)
        if value and value in keys.phones:
            reasons.append(_reason(SAME_PHONE, phone=phone_display(value), field=_lower_label(f)))
    shared = sorted(identity_keys(other).emails & keys.emails)
    reasons += [_reason(SAME_EMAIL, email=e) for e in shared]
    if keys.by_name:
        theirs = identity_keys(other)
        if (theirs.last, theirs.first_initial, theirs.postal) == (keys.last, keys.first_initial, keys.postal):
            reasons.append(_reason(SAME_NAME_POSTAL))
    if keys.dms_number and other.dms_number == keys.dms_number:
        reasons.append(_reason(SAME_DMS_NUMBER, number=other.dms_number))
    return reasons


def _lower_label(key: str):
    return lambda: str(field_label(key)).lower()


# --- The store's do-not-call list: a hook, not a stub ------------------------------------------------------------
# The internal do-not-call list of a store (DESIGN §4 "Store settings added", §5 "Contact history": a "do not call"
# result puts the number on it) is built by the contact-history issue, which does not exist yet. When it does, it
# registers its lookup here from its AppConfig.ready() (the way contacts registers its audit keys with the field
# registry), and the New customer screen flags a number on the list and records the flag in the new file's
# history. Until then nothing is registered and `do_not_call_numbers` answers "no list": it never pretends that a
# number was checked against a list that does not exist.

#: (dealership_id, E.164 numbers) -> the numbers among them on the store's do-not-call list (one query).
DoNotCallLookup = Callable[[int, frozenset[str]], set[str]]
_DO_NOT_CALL_LOOKUPS: list[DoNotCallLookup] = []


def do_not_call_lookup_register(lookup: DoNotCallLookup) -> None:
    """Register the store do-not-call list's lookup (the contact-history issue, from its AppConfig.ready())."""
    if lookup not in _DO_NOT_CALL_LOOKUPS:
        _DO_NOT_CALL_LOOKUPS.append(lookup)


def do_not_call_lookup_unregister(lookup: DoNotCallLookup) -> None:
    if lookup in _DO_NOT_CALL_LOOKUPS:
        _DO_NOT_CALL_LOOKUPS.remove(lookup)


def do_not_call_list_exists() -> bool:
    return bool(_DO_NOT_CALL_LOOKUPS)


def do_not_call_numbers(*, dealership_id: int, phones: Iterable[str]) -> set[str]:
    """The given E.164 numbers that are on the store's do-not-call list; empty while no list is registered."""
    numbers = frozenset(p for p in phones if p)
    if not numbers:
        return set()
    flagged: set[str] = set()
    for lookup in _DO_NOT_CALL_LOOKUPS:
        flagged |= set(lookup(dealership_id, numbers)) & numbers
    return flagged
