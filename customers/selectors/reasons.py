"""Turn Off reason codes a store offers, per use: the store's own and the global ones (DESIGN §4)."""

from django.db.models import Q, QuerySet

from ..models import ServiceAdvisor, TurnOffReason


def _store_reasons(*, dealership, include=None, **applies_to) -> QuerySet[TurnOffReason]:
    """Active reasons of the store or global that apply to a use; `include` keeps one already chosen."""
    cond = Q(is_active=True)
    if include is not None:
        cond |= Q(pk=include.pk if hasattr(include, "pk") else include)
    return TurnOffReason.objects.filter(Q(dealership=dealership) | Q(dealership__isnull=True), cond, **applies_to)


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
        cond |= Q(pk=include.pk if hasattr(include, "pk") else include)
    return ServiceAdvisor.objects.filter(cond, dealership=dealership)
