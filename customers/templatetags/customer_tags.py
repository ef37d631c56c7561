from django import template

from customers.phones import phone_display

register = template.Library()


@register.filter
def phone(value):
    return phone_display(value)
