"""Customer Information's form as the page renders it (initial values + hidden version/original), for tests that
post a change through HTTP the way the browser would."""

from django import forms
from django.urls import reverse


def edit_url(customer):
    return reverse("customers:edit", args=[customer.pk])


def form_data(client, customer, **changes):
    """The form's values as rendered, with `changes` applied (None leaves a field out, as an unchecked box)."""
    response = client.get(edit_url(customer))
    assert response.status_code == 200
    form = response.context["form"]
    data = {}
    for name, bound in form.fields.items():
        value = form[name].value()
        if isinstance(bound.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
