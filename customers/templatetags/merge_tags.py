"""Loads the data of the "Customers available to be merged" / merged-family panel for any customer page.

Used by templates/customers/partials/merge_candidates.html so the profile and Customer Information views
need no change: the partial asks for its own data with `{% merge_panel customer as panel %}`.
"""

from django import template

from customers.models import Customer
from customers.selectors.duplicates import duplicate_candidates

register = template.Library()


@register.simple_tag(takes_context=True)
def merge_panel(context, customer):
    request = context.get("request")
    user = getattr(request, "user", None)
    if customer is None or user is None or not getattr(customer, "pk", None):
        return None
    if customer.merge_parent_id is not None:
        parent = Customer.objects.filter(pk=customer.merge_parent_id, dealership_id=customer.dealership_id).first()
        return {"customer": customer, "parent": parent, "children": [], "candidates": []}
    children = list(
        Customer.objects.filter(merge_parent=customer)
        .order_by("merged_at", "id")
        .only(
            "id",
            "first_name",
            "middle_name",
            "last_name",
            "other_name",
            "kind",
            "dealermine_number",
            "dms_number",
            "merge_parent",
            "merge_relationship",
            "merged_at",
        )
    )
    return {
        "customer": customer,
        "parent": None,
        "children": children,
        "candidates": duplicate_candidates(user=user, customer=customer),
    }
