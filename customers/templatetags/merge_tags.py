"""Loads the data of the "Customers available to be merged" / merged-family panel for any customer page.

Used by templates/customers/partials/merge_candidates.html: the partial asks for its own data with
`{% merge_panel customer as panel %}`, unless the page's context already holds it as `merge_panel` (Customer
Information reads it with the rest of the page, customers.selectors.edit).
"""

from django import template

from customers.selectors.duplicates import merge_panel_get

register = template.Library()


@register.simple_tag(takes_context=True)
def merge_panel(context, customer):
    request = context.get("request")
    user = getattr(request, "user", None)
    if customer is None or user is None or not getattr(customer, "pk", None):
        return None
    loaded = context.get("merge_panel")
    if isinstance(loaded, dict) and getattr(loaded.get("customer"), "pk", None) == customer.pk:
        return loaded
    return merge_panel_get(user=user, customer=customer)
