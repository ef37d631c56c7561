"""The one-box customer search: classify what was typed, run the matching indexed lookups, fold families.

What the box understands (several readings may apply to one query; all of them are tried):
- a name: "smith john", "john smith", "smith, john", a partial last name (2+ characters) or company name;
  on PostgreSQL a similar-name (pg_trgm) fallback when nothing starts with what was typed;
- a phone in any format: the last 7-10 digits are matched against home, work, cell and fax (stored E.164);
- an email (case-insensitive);
- a DMS customer number, or a DealerMine number (prospects also as "123456-4");
- a VIN, full (17) or its last 6-8 characters;
- a postal code in any spacing or dash ("m5v-3l9", "M5V3L9", a 3-character FSA) or a ZIP / ZIP+4.

Results land on the family parent: a Duplicate child never shows as its own result, it is folded under its
parent. At most a handful of queries per search regardless of the number of hits (ids, then one fetch).

A postal code or prefix can match a large part of a store (an urban FSA or a ZIP holds thousands of its customers;
a rural Canadian code, a whole village). When the matches pass the limit, the page shows the first ones by name,
after the hits of the exact readings (email, phone, numbers, VIN); on PostgreSQL each postal part walks an index in
name order and stops at the limit (customers migration 0015, which says what it measured).
"""

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Collate, Left, Lower, Reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..fields import EMAIL_FIELDS, PHONE_FIELDS
from ..models import Customer, CustomerKind, Relationship, Vehicle, has_value
from .tenancy import customers_for_user

RESULT_LIMIT = 100
MIN_NAME_CHARS = 2

_PHONE_RE = re.compile(r"^\+?[\d\s\-().]+$")
_NAME_RE = re.compile(r"^[^\W\d_][\w\s'.,\-&]*$", re.UNICODE)
_PROSPECT_RE = re.compile(r"^(\d{1,18})-4$")
_CA_POSTAL_RE = re.compile(r"^([A-Z]\d[A-Z])\s*-?\s*(\d[A-Z]\d)$")
_CA_FSA_RE = re.compile(r"^[A-Z]\d[A-Z]$")
_US_ZIP_RE = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_VIN_CHARS_RE = re.compile(r"^[A-HJ-NPR-Z0-9]+$")
_ALNUM_RE = re.compile(r"^[A-Z0-9\-]+$")

# Match kinds: label shown in the results and whether a single such hit opens the profile directly.
EXACT_KINDS = {"email", "phone", "dealermine", "dms", "vin", "name_exact"}
KIND_LABELS = {
    "name": _("Name"),
    "name_exact": _("Name"),
    "company": _("Company name"),
    "similar": _("Similar name"),
    "email": _("Email"),
    "phone": _("Phone"),
    "phone_partial": _("Phone (last digits)"),
    "dealermine": _("DealerMine #"),
    "dms": _("DMS #"),
    "vin": _("VIN"),
    "vin_partial": _("VIN (last characters)"),
    "postal": _("Postal/ZIP"),
}


@dataclass
class SearchPlan:
    """What the query was understood as; `kinds` names the readings tried (for the page and the tests)."""

    query: str
    kinds: list[str] = field(default_factory=list)
    name_tokens: list[str] = field(default_factory=list)
    name_comma: bool = False
    email: str = ""
    phone_digits: str = ""
    dealermine_number: int | None = None
    prospect_only: bool = False
    dms_numbers: list[str] = field(default_factory=list)
    vin: str = ""
    vin_suffix: str = ""
    postal_exact: str = ""
    postal_prefix: str = ""
    message: str = ""


@dataclass
class SearchResult:
    customer: Customer
    match_kinds: set[str]
    duplicate_children: list[Customer]

    @property
    def match_labels(self) -> list[str]:
        return sorted({str(KIND_LABELS[k]) for k in self.match_kinds})

    @property
    def is_exact(self) -> bool:
        return bool(self.match_kinds & EXACT_KINDS)


@dataclass
class SearchOutcome:
    plan: SearchPlan
    results: list[SearchResult]
    truncated: bool = False

    @property
    def single_exact(self) -> Customer | None:
        """The one customer to open directly, when the search found exactly one file and found it exactly."""
        if len(self.results) == 1 and self.results[0].is_exact and not self.truncated:
            return self.results[0].customer
        return None


def search_plan(query: str) -> SearchPlan:
    """Classify the typed text into every reading that makes sense."""
    q = " ".join((query or "").split())
    plan = SearchPlan(query=q)
    if not q:
        return plan
    upper = q.upper()
    compact = re.sub(r"[\s\-().+/]", "", upper)

    if "@" in q:
        plan.email = q.lower()
        plan.kinds.append("email")
        return plan

    digits = "".join(ch for ch in q if ch.isdigit())
    prospect = _PROSPECT_RE.match(q.replace(" ", ""))
    zip_plus4 = re.match(r"^\d{5}-\d{4}$", q)
    if _PHONE_RE.match(q) and len(digits) >= 7 and not prospect and not zip_plus4:
        plan.phone_digits = digits[-10:]
        plan.kinds.append("phone")

    if prospect:
        plan.dealermine_number = int(prospect.group(1))
        plan.prospect_only = True
        plan.kinds.append("dealermine")
    elif compact.isdigit() and len(compact) <= 18 and compact == re.sub(r"\s", "", upper):
        plan.dealermine_number = int(compact)
        plan.kinds.append("dealermine")

    if _ALNUM_RE.match(upper.replace(" ", "")) and any(ch.isdigit() for ch in upper):
        plan.dms_numbers = sorted({q.replace(" ", ""), upper.replace(" ", "")})
        plan.kinds.append("dms")

    vin_candidate = compact.replace("-", "")
    if _VIN_CHARS_RE.match(vin_candidate) and any(ch.isdigit() for ch in vin_candidate) and not prospect:
        if len(vin_candidate) == 17:
            plan.vin = vin_candidate
            plan.kinds.append("vin")
        elif 6 <= len(vin_candidate) <= 8:
            plan.vin_suffix = vin_candidate
            plan.kinds.append("vin")

    ca = _CA_POSTAL_RE.match(upper)
    us = _US_ZIP_RE.match(q.replace(" ", ""))
    if ca:
        plan.postal_exact = f"{ca.group(1)} {ca.group(2)}"
        plan.kinds.append("postal")
    elif _CA_FSA_RE.match(upper):
        plan.postal_prefix = upper + " "
        plan.kinds.append("postal")
    elif us:
        plan.postal_prefix = us.group(1)
        if us.group(2):
            plan.postal_exact = f"{us.group(1)}-{us.group(2)}"
        plan.kinds.append("postal")

    if not plan.kinds and _NAME_RE.match(q):
        tokens = [t for t in re.split(r"[\s,]+", q.lower()) if t]
        if len("".join(tokens)) < MIN_NAME_CHARS:
            plan.message = ngettext(
                "Type at least %(count)d letter of a name.",
                "Type at least %(count)d letters of a name.",
                MIN_NAME_CHARS,
            ) % {"count": MIN_NAME_CHARS}
            return plan
        plan.name_tokens = tokens[:4]
        plan.name_comma = "," in q
        plan.kinds.append("name")

    if not plan.kinds:
        # Anything else may still be a DMS customer number as the DMS prints it.
        plan.dms_numbers = sorted({q, upper})
        plan.kinds.append("dms")
    return plan


def customer_search(*, user, query: str, dealership_id=None, limit: int = RESULT_LIMIT) -> SearchOutcome:
    """Search the user's stores (or the one picked in the store switcher).

    Two queries whatever the number of hits: the matching ids, then the result files with the Duplicate children
    folded under them (plus one for the similar-name fallback on PostgreSQL when no name starts with the text).
    """
    plan = search_plan(query)
    if not plan.kinds:
        return SearchOutcome(plan=plan, results=[])
    base = customers_for_user(user=user, dealership_id=dealership_id)

    if plan.name_tokens:
        hits = _name_hits(base, plan, limit)
        if not hits and connection.vendor == "postgresql":
            hits = _similar_name_hits(base, plan, limit)
    else:
        hits = _id_hits(base, plan, limit * 4)

    truncated = len(hits) >= limit * 4 if not plan.name_tokens else len(hits) > limit
    # Land on the parent: a Duplicate child's hit counts for its parent.
    kinds_by_target: dict[int, set[str]] = {}
    order: list[int] = []
    for pk, parent_id, relationship, kind in hits:
        target = parent_id if parent_id and relationship == Relationship.DUPLICATE else pk
        if target not in kinds_by_target:
            kinds_by_target[target] = set()
            order.append(target)
        kinds_by_target[target].add(kind)
    if len(order) > limit:
        truncated = True
        order = order[:limit]

    # One query for the result files and the Duplicate children folded under them.
    rows = (
        base.filter(Q(pk__in=order) | Q(merge_parent_id__in=order, merge_relationship=Relationship.DUPLICATE))
        .select_related("dealership", "merge_parent")
        .order_by("last_name", "first_name", "other_name", "id")
    )
    wanted = set(order)
    targets: list[Customer] = []
    folded: dict[int, list[Customer]] = {}
    for c in rows:
        if c.pk in wanted and not c.is_duplicate_child:
            targets.append(c)
        elif c.is_duplicate_child:
            folded.setdefault(c.merge_parent_id, []).append(c)
    results = [
        SearchResult(customer=c, match_kinds=kinds_by_target[c.pk], duplicate_children=folded.get(c.pk, []))
        for c in targets
    ]
    return SearchOutcome(plan=plan, results=results, truncated=truncated)


# The result page's order (customer_search's fetch); the postal indexes of migration 0015 end with it.
RESULT_ORDER = ("last_name", "first_name", "other_name", "id")
# A hit's columns: the first four are the hit, the rest its place in the list (exact readings first, then by name).
_HIT_COLUMNS = ("hit_id", "hit_parent_id", "hit_relationship", "match_kind", "hit_rank", "hit_ln", "hit_fn", "hit_on")
_HIT_ORDER = ("hit_rank", "hit_ln", "hit_fn", "hit_on", "hit_id")


def postal_area(column: str = "postal_code") -> Left:
    """The start of a postal code that a prefix search names: 5 characters when it starts with a digit (a ZIP), else
    4 (a Canadian FSA and its space). For a plan.postal_prefix P ("M5V " or "48226"), `postal_area = P` holds exactly
    when the code starts with P, whatever is stored: the code's first character decides the length, and it is P's.
    The expression of the index customer_postal_area_name_idx (migration 0015): keep the two identical."""
    digit_first = Q(**{f"{column}__regex": "^[0-9]"})
    return Left(column, Case(When(digit_first, then=Value(5)), default=Value(4), output_field=IntegerField()))


def _tagged(qs: QuerySet, kind: str, prefix: str = "") -> QuerySet:
    return (
        qs.order_by()
        .annotate(
            hit_id=F(f"{prefix}id"),
            hit_parent_id=F(f"{prefix}merge_parent_id"),
            hit_relationship=F(f"{prefix}merge_relationship"),
            match_kind=Value(kind, output_field=CharField()),
            hit_rank=Value(1 if kind == "postal" else 0, output_field=IntegerField()),
            hit_ln=F(f"{prefix}last_name"),
            hit_fn=F(f"{prefix}first_name"),
            hit_on=F(f"{prefix}other_name"),
        )
        .values_list(*_HIT_COLUMNS)
    )


def _id_hits(base: QuerySet, plan: SearchPlan, cap: int) -> list[tuple]:
    """(id, parent id, relationship, kind) of every reading but a name, at most `cap`: the exact readings' hits
    first, then the postal matches by name (the order of the result page)."""
    parts = _id_parts(base, plan, cap=cap)
    if len(parts) > 1:
        rows = parts[0].union(*parts[1:]).order_by(*_HIT_ORDER)[:cap]
    else:  # a lone postal part comes ordered and limited already
        rows = parts[0] if parts[0].query.is_sliced else parts[0].order_by(*_HIT_ORDER)[:cap]
    return [row[:4] for row in rows]


def _in_name_order(part: QuerySet, cap: int | None) -> QuerySet:
    """A postal part, on PostgreSQL, in the result page's order and limited: it walks its index (migration 0015)
    and stops at `cap` instead of reading and sorting the whole prefix range."""
    if cap is None or not connection.features.supports_slicing_ordering_in_compound:
        return part
    return part.order_by(*RESULT_ORDER)[:cap]


def _id_parts(base: QuerySet, plan: SearchPlan, cap: int | None = None) -> list[QuerySet]:
    parts: list[QuerySet] = []
    if plan.email:
        # The email, phone and company-name indexes are partial: each branch repeats their condition (has_value).
        for column in EMAIL_FIELDS:  # one branch per column: each uses its partial lower(email) index
            lowered = base.annotate(lowered_email=Lower(column))
            parts.append(_tagged(lowered.filter(has_value(column), lowered_email=plan.email), "email"))
    if plan.phone_digits:
        kind = "phone" if len(plan.phone_digits) >= 10 else "phone_partial"
        reversed_digits = plan.phone_digits[::-1]
        for column in PHONE_FIELDS:
            qs = base.annotate(rev=Reverse(column)).filter(has_value(column), rev__startswith=reversed_digits)
            parts.append(_tagged(qs, kind))
    if plan.dealermine_number is not None:
        qs = base.filter(dealermine_number=plan.dealermine_number)
        if plan.prospect_only:
            qs = qs.filter(kind=CustomerKind.PROSPECT)
        parts.append(_tagged(qs, "dealermine"))
    if plan.dms_numbers:
        parts.append(_tagged(base.filter(dms_number__in=plan.dms_numbers), "dms"))
    if plan.vin or plan.vin_suffix:
        vehicles = Vehicle.objects.filter(customer__in=base)
        if plan.vin:
            vehicles = vehicles.filter(vin=plan.vin)
            kind = "vin"
        else:
            vehicles = vehicles.annotate(rev=Reverse("vin")).filter(rev__startswith=plan.vin_suffix[::-1])
            kind = "vin_partial"
        parts.append(_tagged(vehicles, kind, prefix="customer__"))
    if plan.postal_exact:
        parts.append(_in_name_order(_tagged(base.filter(postal_code=plan.postal_exact), "postal"), cap))
    if plan.postal_prefix:
        # Not `postal_code__startswith`: the same rows (postal_area), through the index that gives them by name.
        by_area = base.annotate(postal_area=postal_area()).filter(postal_area=plan.postal_prefix)
        parts.append(_in_name_order(_tagged(by_area, "postal"), cap))
    return parts


def _name_branches(plan: SearchPlan) -> tuple[list[tuple[Q, tuple[str, ...]]], list[tuple[str, str]]]:
    """([(filter, index order)], exact pairs): every split of the tokens as last/first and first/last, plus the
    whole phrase as a last or company name. Each branch is a prefix range of one name index."""
    tokens = plan.name_tokens
    phrase = " ".join(tokens)
    by_last = ("ln", "fn", "id")
    branches = [(Q(ln__startswith=phrase), by_last), (Q(on__startswith=phrase) & has_value("other_name"), ("on", "id"))]
    exact_pairs: list[tuple[str, str]] = [(phrase, "")]
    for k in range(1, len(tokens)):
        left, right = " ".join(tokens[:k]), " ".join(tokens[k:])
        branches.append((Q(ln__startswith=left, fn__startswith=right), by_last))
        exact_pairs.append((left, right))
        if not plan.name_comma:
            branches.append((Q(fn__startswith=left, ln__startswith=right), by_last))
            exact_pairs.append((right, left))
    return branches, exact_pairs


def _name_exprs() -> dict:
    """lower(name), with the C collation on PostgreSQL so the search indexes of migration 0002 serve both the
    prefix range and the order (SQLite has no "C" collation and needs neither)."""
    if connection.vendor == "postgresql":
        return {alias: Collate(Lower(col), "C") for alias, col in _NAME_ALIASES.items()}
    return {alias: Lower(col) for alias, col in _NAME_ALIASES.items()}


_NAME_ALIASES = {"ln": "last_name", "fn": "first_name", "on": "other_name"}


def _name_hits(base: QuerySet, plan: SearchPlan, limit: int) -> list[tuple]:
    branches, exact_pairs = _name_branches(plan)
    named = base.annotate(**_name_exprs())
    columns = ("id", "merge_parent_id", "merge_relationship", "ln", "fn", "on")
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: one ordered, limited index walk per branch, in one statement (UNION ALL).
        parts = [named.filter(cond).order_by(*order).values_list(*columns)[: limit + 1] for cond, order in branches]
        rows = list(parts[0].union(*parts[1:], all=True))
    else:
        cond = Q()
        for branch, _order in branches:
            cond |= branch
        rows = list(named.filter(cond).order_by("ln", "fn", "id").values_list(*columns)[: limit + 1])
    rows = sorted({row[0]: row for row in rows}.values(), key=lambda r: (r[3], r[4], r[0]))[: limit + 1]
    phrase = " ".join(plan.name_tokens)
    hits = []
    for pk, parent_id, relationship, ln, fn, on in rows:
        if (ln, fn) in exact_pairs or (ln == phrase and len(plan.name_tokens) > 1):
            kind = "name_exact"
        elif on.startswith(phrase) and not ln.startswith(plan.name_tokens[0]):
            kind = "company"
        else:
            kind = "name"
        hits.append((pk, parent_id, relationship, kind))
    return hits


def _similar_name_hits(base: QuerySet, plan: SearchPlan, limit: int) -> list[tuple]:
    """PostgreSQL only: last names similar to what was typed, nearest first (pg_trgm `%` and `<->`). The `%`
    filter is served by the trigram GIN index (migration 0007); the matches are then sorted by distance."""
    from django.contrib.postgres.lookups import TrigramSimilar
    from django.contrib.postgres.search import TrigramDistance

    # The longest word is the likeliest last name; one trigram scan keeps the fallback within the name budget.
    token = max(plan.name_tokens, key=len)
    if len(token) < 3:
        return []
    rows = (
        base.filter(TrigramSimilar(Lower("last_name"), Value(token)))
        .annotate(distance=TrigramDistance(Lower("last_name"), Value(token)))
        .order_by("distance", "id")
        .values_list("id", "merge_parent_id", "merge_relationship")[: limit + 1]
    )
    return [(pk, parent_id, relationship, "similar") for pk, parent_id, relationship in rows]
