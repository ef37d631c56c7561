"""The New customer form: Customer Information's fields (the same declarations, labels from the field registry,
the same validation through customers.services.create -> customers.services.validation), plus what a new file
needs: its kind, its contact methods and preferred method, and the form's one-time token (double-submit safety).

Also here: what the search box's text pre-fills (`initial_from_search`) and the lenient reading of a half-filled
form for the live identity check (`identity_probe`).
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .fields import EMAIL_FIELDS, PHONE_FIELDS
from .forms import CustomerEditForm
from .models import ContactMethodKind, Customer, CustomerKind
from .phones import phone_display, phone_normalize
from .postal import postal_guess_country, postal_lookup, postal_normalize
from .selectors.identity import IdentityKeys, identity_keys
from .selectors.reasons import contact_method_reasons
from .selectors.search import search_plan
from .services.create import KIND_CHOICES, METHOD_CHOICES, NEW_FILE_FIELDS, customer_new_clean
from .services.validation import customer_clean_data

MAX_QUERY = 200
METHOD_FIELD_PREFIX = "method_"
#: The fields the identity check reads (customers.selectors.identity).
IDENTITY_FIELDS = (*PHONE_FIELDS, *EMAIL_FIELDS, "first_name", "last_name", "postal_code")


def method_field(method: str) -> str:
    return f"{METHOD_FIELD_PREFIX}{method}"


class NewCustomerForm(CustomerEditForm):
    """Customer Information's fields for a file that does not exist yet, in the store `dealership`."""

    # Not a new file's: the optimistic lock of an existing file.
    version = None
    original = None

    kind = forms.ChoiceField(
        label=_("Customer type"),
        choices=list(KIND_CHOICES.items()),
        initial=CustomerKind.PERSON,
        widget=forms.RadioSelect,
    )
    preferred_contact_method = forms.ChoiceField(
        label=_("Preferred method"),
        choices=[("", pgettext_lazy("preferred contact method", "None"))] + list(METHOD_CHOICES.items()),
        required=False,
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form could not be sent as it is: open New customer again."),
            "invalid": _("This form could not be sent as it is: open New customer again."),
        },
    )
    # What was typed in the search box that led here (pre-fill, and a DMS number is an identity key).
    q = forms.CharField(widget=forms.HiddenInput, required=False, max_length=MAX_QUERY, strip=True)
    # "Create anyway": the ids of the possible existing files the coordinator was shown.
    confirmed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, dealership, **kwargs):
        self.dealership = dealership
        kwargs.setdefault("initial", {})
        super().__init__(*args, customer=Customer(dealership=dealership), **kwargs)
        self.method_reasons = {str(r.pk): r for r in contact_method_reasons(dealership=dealership)}
        # A store's own reason shows as entered, the product's own in the reader's language (display_label).
        reason_choices = [("", pgettext("contact method state", "On"))] + [
            (pk, pgettext("contact method state", "Off: %(reason)s") % {"reason": r.display_label()})
            for pk, r in self.method_reasons.items()
        ]
        for method, label in ContactMethodKind.choices:
            self.fields[method_field(method)] = forms.ChoiceField(
                label=label,
                choices=reason_choices,
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    # --- what the form hands the services ------------------------------------------------------------------------

    def new_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in NEW_FILE_FIELDS if name in self.cleaned_data}

    def methods_off(self) -> dict:
        """{method: reason} for the contact methods turned off."""
        out = {}
        for method in ContactMethodKind.values:
            reason_pk = self.cleaned_data.get(method_field(method)) or ""
            if reason_pk:
                out[method] = self.method_reasons[reason_pk]
        return out

    def confirmed_ids(self) -> set[int]:
        """The files the coordinator confirmed "create anyway" beside (only with that button)."""
        if not self.cleaned_data.get("create_anyway"):
            return set()
        return {int(part) for part in re.findall(r"\d{1,18}", self.cleaned_data.get("confirmed") or "")}

    def searched_dms_number(self) -> str:
        return searched_dms_number(self.cleaned_data.get("q") or "")

    def method_rows(self):
        return [(self[method_field(method)], method) for method in ContactMethodKind.values]

    # --- validation: the services' rules, errors beside the fields -----------------------------------------------

    def clean(self):
        cleaned = forms.Form.clean(self)  # not Customer Information's clean: the new file's rules include its rules
        try:
            self.normalized = customer_new_clean(dealership=self.dealership, data=self.new_data())
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        preferred = cleaned.get("preferred_contact_method")
        if preferred and preferred in self.methods_off() and "preferred_contact_method" not in self.errors:
            self.add_error(
                "preferred_contact_method",
                gettext("%(method)s is turned off below; it cannot be the preferred method.")
                % {"method": METHOD_CHOICES[preferred]},
            )
        return cleaned

    def _removed_values_check(self) -> None:
        """A new file has no removed values of its own (a removal belongs to the file it was removed from)."""


def new_form_initial(*, dealership, q: str = "") -> dict:
    """A fresh form: a new one-time token, and what the search text pre-fills."""
    return {"token": uuid.uuid4(), "q": q, **initial_from_search(q, dealership=dealership)}


def _cased(word: str) -> str:
    """A name typed all lower or all upper case, capitalized; mixed case (McDonald) kept as typed."""
    return word.title() if word.islower() or word.isupper() else word


def _name_initial(q: str) -> dict:
    """ "Smith, John" -> last, first (middle); "John Smith" / "John Q Smith" -> first (middle) last; "Smith" -> last."""
    if "," in q:
        last, _, rest = q.partition(",")
        words = rest.split()
        out = {"last_name": _cased(last.strip()), "first_name": _cased(words[0]) if words else ""}
        if len(words) > 1:
            out["middle_name"] = _cased(" ".join(words[1:]))
        return out
    words = q.split()
    if len(words) == 1:
        return {"last_name": _cased(words[0])}
    if len(words) == 3:
        return {"first_name": _cased(words[0]), "middle_name": _cased(words[1]), "last_name": _cased(words[2])}
    return {"first_name": _cased(words[0]), "last_name": " ".join(_cased(w) for w in words[1:])}


def initial_from_search(q: str, *, dealership) -> dict:
    """What the search text pre-fills, read the way the search box reads it (customers.selectors.search): an
    email -> Email 1, a phone -> Cell (national form), a name -> the name fields, a postal/ZIP code -> Postal/Zip
    with City, State/Province, County and Country from the offline postal data."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    plan = search_plan(q)
    if not q or plan.message:
        return {}
    if plan.email:
        return {"email1": plan.email}
    if plan.name_tokens:
        return _name_initial(q)
    if plan.phone_digits:
        try:
            return {"cell_phone": phone_display(phone_normalize(q, region=dealership.country or "US"))}
        except ValidationError:
            return {"cell_phone": q}  # a partial number: the coordinator completes it
    if plan.postal_exact or plan.postal_prefix:
        country = postal_guess_country(q)
        try:
            code = postal_normalize(q, country or dealership.country or None)
        except ValidationError:
            return {"postal_code": q}
        place = postal_lookup(code, country or None) or {}
        return {"postal_code": code, **{k: place[k] for k in ("city", "state", "county", "country") if place.get(k)}}
    return {}


def searched_dms_number(q: str) -> str:
    """A DMS number the search text may be: text the search read as a DMS number and nothing it pre-fills."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    plan = search_plan(q)
    if not plan.dms_numbers or plan.email or plan.name_tokens or plan.phone_digits or plan.postal_exact:
        return ""
    if plan.postal_prefix:
        return ""
    return q.replace(" ", "")


def identity_probe(*, dealership, data) -> IdentityKeys:
    """The identity keys of a half-filled form (the live check): each field normalized by the Customer Information
    rules on its own; a value that does not validate yet is left out."""
    values: dict = {}
    blank = Customer(dealership=dealership)
    for name in IDENTITY_FIELDS:
        raw = str(data.get(name, "") or "")[:MAX_QUERY]
        if not raw.strip() or "\x00" in raw:  # a NUL never reaches the database (PostgreSQL refuses it)
            continue
        field_data = {name: raw}
        if name == "postal_code":
            country = str(data.get("country", "") or "")[:2]
            if country in ("US", "CA"):
                field_data["country"] = country
        try:
            values.update(customer_clean_data(customer=blank, data=field_data))
        except ValidationError:
            continue
    q = str(data.get("q", "") or "").replace("\x00", "")
    return identity_keys(Customer(dealership=dealership, **values), dms_number=searched_dms_number(q))
