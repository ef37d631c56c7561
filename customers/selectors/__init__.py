"""Reads, split by sub-domain. Tenancy helpers are re-exported here because every view needs them."""

from .tenancy import (
    customer_get_for_user,
    customer_list,
    customers_for_user,
    dealership_list_for_user,
    dealerships_for_user,
)

__all__ = [
    "customer_get_for_user",
    "customer_list",
    "customers_for_user",
    "dealership_list_for_user",
    "dealerships_for_user",
]
