"""Reads. Everything a user sees goes through these tenant-scoped helpers."""

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from dealermine.db import CompiledQuery

from ..models import Customer, Dealership


def dealerships_for_user(*, user) -> QuerySet[Dealership]:
    """The stores a user works for. Staff see nothing here unless they are members: admin is their tool."""
    if not user.is_authenticated:
        return Dealership.objects.none()
    return dealerships_for_user_id(user_id=user.pk)


def dealerships_for_user_id(*, user_id) -> QuerySet[Dealership]:
    """dealerships_for_user for an authenticated user's id (the queries compiled once take the id as a slot)."""
    return Dealership.objects.filter(memberships__user_id=user_id, is_active=True).distinct()


# Every page's nav lists the user's stores: compiled once, prepared on PostgreSQL (dealermine.db).
USER_STORES_QUERY = CompiledQuery(dealerships_for_user_id, user_id=int)


def dealership_list_for_user(*, user) -> list[Dealership]:
    """dealerships_for_user as a list (the nav store switcher on every page)."""
    if not user.is_authenticated:
        return []
    return USER_STORES_QUERY.all(user_id=user.pk)


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


def customer_for_user_query(queryset: Callable[[], QuerySet[Customer]]) -> CompiledQuery:
    """customer_get_for_user's query over `queryset()`, compiled once (slots pk and user_id), for the screens
    that load a heavily joined or annotated customer on every view; run it with customer_get_compiled."""
    return CompiledQuery(
        lambda *, pk, user_id: (
            queryset().filter(dealership__in=dealerships_for_user_id(user_id=user_id), pk=pk).order_by()
        ),
        pk=int,
        user_id=int,
    )


# The ORM answers a lookup of an id outside the column's range with "no rows"; a compiled query would hand the
# value to the database, which refuses it. Ids from the URL can be anything.
_BIGINT = range(-(2**63), 2**63)


def customer_get_compiled(query: CompiledQuery, *, user, pk) -> Customer:
    """customer_get_for_user through a query of customer_for_user_query: 404 unless in one of the user's stores."""
    pk = int(pk)
    customer = query.first(pk=pk, user_id=user.pk) if user.is_authenticated and pk in _BIGINT else None
    if customer is None:
        raise Http404("No Customer matches the given query.")
    return customer


def customer_list(*, user, dealership_id=None, q=""):
    qs = customers_for_user(user=user, dealership_id=dealership_id).select_related("dealership")
    if q:
        qs = qs.filter(last_name__istartswith=q)
    return qs.order_by("last_name", "first_name", "id")
