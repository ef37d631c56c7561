"""Small pure rules about a customer file, shared by the services that write it (no queries)."""

from .fields import method_fields


def method_has_value(customer, method: str) -> bool:
    """Whether a contact method has something on file to reach the customer with (a number, an address)."""
    return any(getattr(customer, key, "") for key in method_fields(method))


def preferred_method_without_value(customer) -> str:
    """The preferred method when it no longer has a value on file (it must then stop being preferred), else ""."""
    method = customer.preferred_contact_method
    return method if method and not method_has_value(customer, method) else ""
