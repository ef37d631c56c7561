"""Forms of the Merge Customer screen (kept apart from the Customer Information forms)."""

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .fields import field_label
from .models import Relationship
from .services.merge import FILLABLE_FIELDS, MERGE_RELATIONSHIPS, field_value, is_empty

MAX_CHILDREN = 20
RELATIONSHIP_CHOICES = [(r.value, r.label) for r in MERGE_RELATIONSHIPS]


def posted_ids(data, key="children") -> list[int]:
    """The customer ids a request names (digits only, de-duplicated, bounded)."""
    if data is None:
        return []
    ids = []
    for raw in data.getlist(key)[: MAX_CHILDREN + 1]:
        raw = (raw or "").strip()
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    return ids


class MergeSelectForm(forms.Form):
    """Which customers to merge into the parent, and the relationship of each."""

    children = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pick at least one customer to merge.")},
    )

    def __init__(self, *args, parent, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        self.fields["children"].queryset = allowed
        for pk in posted_ids(self.data) if self.is_bound else []:
            self.fields[f"relationship_{pk}"] = forms.ChoiceField(
                choices=RELATIONSHIP_CHOICES, initial=Relationship.DUPLICATE, label=gettext("Relationship")
            )

    def clean_children(self):
        children = list(self.cleaned_data["children"])
        if len(children) > MAX_CHILDREN:
            raise forms.ValidationError(
                ngettext(
                    "Merge at most %(count)d customer at a time.",
                    "Merge at most %(count)d customers at a time.",
                    MAX_CHILDREN,
                )
                % {"count": MAX_CHILDREN}
            )
        return sorted(children, key=lambda c: c.pk)

    def relationships(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"relationship_{c.pk}"] for c in self.cleaned_data["children"]}


class MergeConfirmForm(MergeSelectForm):
    """The review step: which child fills each empty parent field, and whether to apply turn-offs."""

    def __init__(self, *args, parent, allowed, **kwargs):
        super().__init__(*args, parent=parent, allowed=allowed, **kwargs)
        ids = posted_ids(self.data) if self.is_bound else []
        for name in FILLABLE_FIELDS:
            if is_empty(field_value(parent, name)):
                self.fields[f"fill_{name}"] = forms.TypedChoiceField(
                    choices=[("", gettext("Leave empty"))] + [(str(pk), str(pk)) for pk in ids],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    label=field_label(name),
                )
        for pk in ids:
            self.fields[f"apply_turn_offs_{pk}"] = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        children = cleaned.get("children") or []
        by_pk = {c.pk: c for c in children}
        for name in FILLABLE_FIELDS:
            source = cleaned.get(f"fill_{name}")
            if source is None:
                continue
            if source not in by_pk:
                self.add_error(f"fill_{name}", gettext("Fill only from a customer being merged."))
            elif is_empty(field_value(by_pk[source], name)):
                self.add_error(f"fill_{name}", gettext("That customer has no value for this field."))
        return cleaned

    def fill_fields(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"fill_{name}"]
            for name in FILLABLE_FIELDS
            if self.cleaned_data.get(f"fill_{name}") is not None
        }

    def apply_turn_offs(self) -> set[int]:
        relationships = self.relationships()
        return {
            c.pk
            for c in self.cleaned_data["children"]
            if self.cleaned_data.get(f"apply_turn_offs_{c.pk}") and relationships[c.pk] != Relationship.DUPLICATE
        }


class UnmergeForm(forms.Form):
    """Which values copied into the parent go back with the child (the rest stay on the parent)."""

    take_back = forms.MultipleChoiceField(choices=(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, takeable: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["take_back"].choices = [
            (name, gettext("%(field)s: %(value)s") % {"field": field_label(name), "value": value})
            for name, value in takeable.items()
        ]
