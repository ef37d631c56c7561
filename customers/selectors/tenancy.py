"""Reads. Everything a user sees goes through these tenant-scoped helpers."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ..models import Customer, Dealership


def dealerships_for_user(*, user) -> QuerySet[Dealership]:
    """The stores a user works for. Staff see nothing here unless they are members: admin is their tool."""
    if not user.is_authenticated:
        return Dealership.objects.none()
    return Dealership.objects.filter(memberships__user=user, is_active=True).distinct()


def customers_for_user(*, user, dealership_id=None) -> QuerySet[Customer]:
    """Customers of the user's stores, optionally narrowed to one of them (never widened)."""
    qs = Customer.objects.filter(dealership__in=dealerships_for_user(user=user))
    if dealership_id is not None:
        qs = qs.filter(dealership_id=dealership_id)
    return qs


def customer_get_for_user(*, user, pk, queryset=None) -> Customer:
    """One customer of the user's stores; 404 when it belongs to another store or does not exist."""
    base = queryset if queryset is not None else Customer.objects.all()
    return get_object_or_404(base.filter(dealership__in=dealerships_for_user(user=user)), pk=pk)


def customer_list(*, user, dealership_id=None, q=""):
    qs = customers_for_user(user=user, dealership_id=dealership_id).select_related("dealership")
    if q:
        qs = qs.filter(last_name__istartswith=q)
    return qs.order_by("last_name", "first_name", "id")
