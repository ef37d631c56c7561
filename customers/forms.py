"""Forms of the Customer Information screen. The rules live in the services; forms bind, map errors, render.

One check is the form's own: a value removed for good (a dms_sync Suppression) is not typed back into a field of
its family. The core save service sits below the DMS integration and cannot see suppressions; the screen can.
"""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dms_sync.selectors import RemovedValue, customer_removed_values
from dms_sync.services.removal import removable_value_normalize
from dms_sync.services.suppressions import MAX_REASON

from .fields import (
    BOOL_FIELDS,
    BY_KEY,
    EDIT_FIELDS,
    PHONE_FIELDS,
    REFERENCE_FIELDS,
    REMOVABLE_FIELDS,
    family_of,
    field_label,
)
from .models import (
    ContactMethodKind,
    Country,
    Customer,
    CustomerStatus,
    DayNight,
    Gender,
    Language,
)
from .phones import phone_display
from .selectors.reasons import (
    StoreChoices,
    contact_method_reasons,
    status_reasons,
    store_advisors,
    vin_contact_type_reasons,
)
from .services.associations import ASSOCIATION_RELATIONSHIPS, MAX_NOTE
from .services.customer import customer_clean_data, customer_snapshot, serialize_value
from .services.vin_contact_types import MAX_COMMENT

ORIGINAL_SALT = "customers.edit.original"
BLANK = [("", "—")]
ON_OFF = [("on", pgettext_lazy("contact method state", "On")), ("off", pgettext_lazy("contact method state", "Off"))]


def _text(name, **kwargs):
    max_length = kwargs.pop("max_length", None) or Customer._meta.get_field(name).max_length
    return forms.CharField(
        label=kwargs.pop("label", None),
        required=False,
        max_length=max_length,
        strip=True,
        **kwargs,
    )


def original_sign(customer) -> str:
    return signing.dumps(customer_snapshot(customer), salt=ORIGINAL_SALT, compress=True)


def original_unsign(token: str) -> dict | None:
    try:
        value = signing.loads(token or "", salt=ORIGINAL_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) else None


def form_initial(customer) -> dict:
    """The form's initial values: phones in display form, FKs by id."""
    initial = {}
    for name in EDIT_FIELDS:
        value = getattr(customer, f"{name}_id") if name in REFERENCE_FIELDS else getattr(customer, name)
        if name in PHONE_FIELDS:
            value = phone_display(value)
        initial[name] = value
    initial["version"] = customer.version
    initial["original"] = original_sign(customer)
    return initial


def form_data_value(customer, name):
    """A field's current value as it would be POSTed (None: an unchecked checkbox, i.e. absent)."""
    value = form_initial_value(customer, name)
    if name in BOOL_FIELDS:
        return "on" if value else None
    return serialize_value(value)


def form_initial_value(customer, name):
    value = getattr(customer, f"{name}_id") if name in REFERENCE_FIELDS else getattr(customer, name)
    return phone_display(value) if name in PHONE_FIELDS else value


class BootstrapFormMixin:
    """Bootstrap classes on every widget; fields with errors get `is-invalid` (errors show beside them)."""

    def _style_widgets(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self._errors or {}:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class CustomerEditForm(BootstrapFormMixin, forms.Form):
    # Labels come from the field registry (customers.fields), set in __init__.
    # Name Information
    first_name = _text("first_name")
    middle_name = _text("middle_name")
    last_name = _text("last_name")
    contact_name = _text("contact_name")
    other_name = _text("other_name")
    address_to = _text("address_to")
    status = forms.ChoiceField(choices=CustomerStatus.choices)
    inactive_reason = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— choose a reason —"))
    # Contact Information
    home_phone = _text("home_phone", max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    work_phone = _text("work_phone", max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    work_ext = _text("work_ext", max_length=12)
    cell_phone = _text("cell_phone", max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    fax = _text("fax", max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    email1 = _text("email1", widget=forms.EmailInput)
    email2 = _text("email2", widget=forms.EmailInput)
    default_email = forms.BooleanField(required=False)
    # Address Information
    address1 = _text("address1")
    address2 = _text("address2")
    postal_code = _text("postal_code", max_length=20)
    city = _text("city")
    state = _text("state")
    county = _text("county")
    country = forms.ChoiceField(choices=BLANK + Country.choices, required=False)
    # Other Information
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    is_fleet = forms.BooleanField(required=False)
    language = forms.ChoiceField(choices=BLANK + Language.choices, required=False)
    gender = forms.ChoiceField(choices=BLANK + Gender.choices, required=False)
    day_night = forms.ChoiceField(choices=BLANK + DayNight.choices, required=False)
    preferred_advisor = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")
    twitter_handle = _text("twitter_handle", max_length=20)
    # Optimistic locking: the version the form was loaded at and a signed snapshot of the loaded values.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, customer, **kwargs):
        self.customer = customer
        kwargs.setdefault("initial", form_initial(customer))
        super().__init__(*args, **kwargs)
        for name in EDIT_FIELDS:
            self.fields[name].label = field_label(name)
        store = customer.dealership
        self.fields["inactive_reason"].queryset = status_reasons(dealership=store, include=self._kept_reason())
        self.fields["preferred_advisor"].queryset = store_advisors(
            dealership=store, include=customer.preferred_advisor_id
        )
        self.fields["postal_code"].widget.attrs.update(
            {"data-postal-lookup": "", "autocomplete": "postal-code", "spellcheck": "false"}
        )
        self.fields["twitter_handle"].widget.attrs["placeholder"] = gettext("@handle")
        self.normalized: dict = {}
        self._style_widgets()

    def _kept_reason(self):
        """The inactive reason on file stays offered while the customer is inactive, even if retired."""
        customer = self.customer
        return customer.inactive_reason_id if customer.status == CustomerStatus.INACTIVE else None

    def offer_choices(self, choices: StoreChoices) -> None:
        """Render the reason and advisor lists from the store's rows the screen already read (the same lists, in
        the same order, as the fields' querysets, which still validate what is posted)."""
        _choices_set(self.fields["inactive_reason"], choices.status_reasons(include=self._kept_reason()))
        _choices_set(
            self.fields["preferred_advisor"], choices.store_advisors(include=self.customer.preferred_advisor_id)
        )

    def edit_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDIT_FIELDS if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        # Fields that failed their own validation are left out; the rules still run on the rest, so every
        # problem shows at once.
        data = self.edit_data()
        try:
            self.normalized = customer_clean_data(customer=self.customer, data=data)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        self._removed_values_check()
        return cleaned

    @cached_property
    def removed_values(self) -> list[RemovedValue]:
        """The customer's values removed for good, newest first: checked here, listed by the screen (one query)."""
        return customer_removed_values(customer=self.customer)

    def _removed_values_check(self) -> None:
        """A value removed for good is not typed back into any field of its family, however formatted: the
        removal is lifted first. Only values a field does not hold already are checked (a file that still holds
        one, e.g. filled on a merge, saves), and the removed values are read only when there is such a value."""
        entered = {}
        for name in REMOVABLE_FIELDS:
            value = self.cleaned_data.get(name)
            if not value:
                continue
            normalized = removable_value_normalize(customer=self.customer, field=name, value=value)
            stored = removable_value_normalize(customer=self.customer, field=name, value=getattr(self.customer, name))
            if normalized != stored:
                entered[name] = normalized
        if not entered:
            return
        removed: dict[tuple, RemovedValue] = {}
        for row in self.removed_values:  # newest first: the latest removal of a value is the one named
            removed.setdefault((row.family, row.value), row)
        for name, value in entered.items():
            if row := removed.get((family_of(name), value)):
                self.add_error(name, removed_value_message(row, shown=BY_KEY[name].display(value)))

    def original_snapshot(self) -> dict | None:
        return original_unsign(self.data.get("original", ""))


def _choices_set(field: forms.ModelChoiceField, objects) -> None:
    """A model choice field's choices out of loaded objects, as its queryset would list them (no query)."""
    iterator = field.iterator(field)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = empty + [iterator.choice(obj) for obj in objects]


def removed_value_message(row: RemovedValue, *, shown: str) -> str:
    when = timezone.localtime(row.removed_at).date().isoformat()
    return gettext(
        "%(value)s was removed permanently on %(when)s by %(who)s; lift the removal below to enter it again."
    ) % {"value": shown, "when": when, "who": row.who}


class RemoveForm(BootstrapFormMixin, forms.Form):
    """The confirm step of the X: carries the value the user saw so a changed number is not removed."""

    value = forms.CharField(widget=forms.HiddenInput, required=False)


class SuppressionLiftForm(BootstrapFormMixin, forms.Form):
    """The confirm step of lifting a removal: why the value may come back (recorded in the history)."""

    reason = forms.CharField(
        label=_("Why is the removal lifted?"),
        max_length=MAX_REASON,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the removal is lifted.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class ContactMethodForm(BootstrapFormMixin, forms.Form):
    method = forms.ChoiceField(choices=ContactMethodKind.choices)
    is_on = forms.TypedChoiceField(choices=ON_OFF, coerce=lambda v: v == "on")
    reason = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— reason —"))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = contact_method_reasons(dealership=customer.dealership)
        self._style_widgets()


class PreferredMethodForm(BootstrapFormMixin, forms.Form):
    preferred_contact_method = forms.ChoiceField(
        choices=[("", pgettext_lazy("preferred contact method", "None"))] + ContactMethodKind.choices,
        required=False,
        widget=forms.RadioSelect,
    )


class VinContactTypeForm(BootstrapFormMixin, forms.Form):
    """Turn one VIN contact type on or off; off needs a reason, the comment is optional."""

    is_on = forms.TypedChoiceField(choices=ON_OFF, coerce=lambda v: v == "on")
    reason = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— choose a reason —"))
    comment = forms.CharField(required=False, max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = vin_contact_type_reasons(dealership=customer.dealership)
        self._style_widgets()


class AssociationAddForm(BootstrapFormMixin, forms.Form):
    other = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": _("Choose a customer of this store.")}
    )
    relationship = forms.ChoiceField(choices=ASSOCIATION_RELATIONSHIPS)
    note = forms.CharField(required=False, max_length=MAX_NOTE)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = candidates
        self._style_widgets()
