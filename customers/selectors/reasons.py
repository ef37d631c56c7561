"""Turn Off reason codes a store offers, per use: the store's own and the global ones (DESIGN §4)."""

from dataclasses import dataclass

from django.db.models import BooleanField, F, Q, QuerySet, Value

from ..models import ServiceAdvisor, TurnOffReason


def _store_reasons(*, dealership, include=None, **applies_to) -> QuerySet[TurnOffReason]:
    """Active reasons of the store or global that apply to a use; `include` keeps one already chosen."""
    cond = Q(is_active=True)
    if include is not None:
        cond |= Q(pk=_pk(include))
    return TurnOffReason.objects.filter(_of_store(dealership), cond, **applies_to)


def _pk(include):
    return include.pk if hasattr(include, "pk") else include


def _of_store(dealership) -> Q:
    """The store's own reasons and the global ones."""
    return Q(dealership=dealership) | Q(dealership__isnull=True)


def status_reasons(*, dealership, include=None) -> QuerySet[TurnOffReason]:
    """Reasons for inactivating a customer."""
    return _store_reasons(dealership=dealership, include=include, applies_to_status=True)


def contact_method_reasons(*, dealership) -> QuerySet[TurnOffReason]:
    """Reasons for turning a contact method off."""
    return _store_reasons(dealership=dealership, applies_to_contact_method=True)


def vin_contact_type_reasons(*, dealership) -> QuerySet[TurnOffReason]:
    """Reasons for turning a VIN contact type (or Owns) off."""
    return _store_reasons(dealership=dealership, applies_to_vin_contact_type=True)


def store_advisors(*, dealership, include=None) -> QuerySet[ServiceAdvisor]:
    """The store's active service advisors; `include` keeps the one already chosen."""
    cond = Q(is_active=True)
    if include is not None:
        cond |= Q(pk=_pk(include))
    return ServiceAdvisor.objects.filter(cond, dealership=dealership)


@dataclass(frozen=True)
class StoreChoices:
    """A store's reason codes (its own and the global ones, active or not) and service advisors (active or not),
    read together for a screen that offers several of these lists (Customer Information). The lists it gives are
    those of the querysets above, in their order (labels and names as the database orders them)."""

    reasons: tuple[TurnOffReason, ...]
    advisors: tuple[ServiceAdvisor, ...]

    def status_reasons(self, *, include=None) -> list[TurnOffReason]:
        """status_reasons() of the store."""
        return [r for r in self.reasons if r.applies_to_status and _offered(r, include)]

    def contact_method_reasons(self) -> list[TurnOffReason]:
        """contact_method_reasons() of the store."""
        return [r for r in self.reasons if r.applies_to_contact_method and _offered(r, None)]

    def store_advisors(self, *, include=None) -> list[ServiceAdvisor]:
        """store_advisors() of the store."""
        return [a for a in self.advisors if _offered(a, include)]


def _offered(row, include) -> bool:
    """The condition of _store_reasons and store_advisors on one loaded row: active, or the one already chosen."""
    return row.is_active or (include is not None and row.pk == _pk(include))


_REASON_COLUMNS = ("code", "label", "applies_to_status", "applies_to_contact_method", "applies_to_vin_contact_type")


def store_choices_get(*, dealership) -> StoreChoices:
    """The store's reasons and advisors in one query (a UNION ALL ordered by label / name)."""
    reasons = (
        TurnOffReason.objects.filter(_of_store(dealership))
        .annotate(kind=Value("reason"))
        .values_list("kind", "pk", "dealership_id", "is_active", *_REASON_COLUMNS)
        .order_by()
    )
    no = Value(False, output_field=BooleanField())
    advisors = (
        ServiceAdvisor.objects.filter(dealership=dealership)
        .annotate(
            kind=Value("advisor"),
            code=Value(""),
            label=F("name"),
            applies_to_status=no,
            applies_to_contact_method=no,
            applies_to_vin_contact_type=no,
        )
        .values_list("kind", "pk", "dealership_id", "is_active", *_REASON_COLUMNS)
        .order_by()
    )
    found_reasons, found_advisors = [], []
    for kind, pk, store, is_active, code, label, status, method, vin in reasons.union(advisors, all=True).order_by(
        "label", "pk"
    ):
        if kind == "advisor":
            found_advisors.append(ServiceAdvisor(pk=pk, dealership_id=store, name=label, is_active=bool(is_active)))
            continue
        found_reasons.append(
            TurnOffReason(
                pk=pk,
                dealership_id=store,
                code=code,
                label=label,
                is_active=bool(is_active),
                applies_to_status=bool(status),
                applies_to_contact_method=bool(method),
                applies_to_vin_contact_type=bool(vin),
            )
        )
    return StoreChoices(reasons=tuple(found_reasons), advisors=tuple(found_advisors))
