"""Merge Customer screen: pick files and relationships, review side by side, merge; and unmerge."""

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from contacts.models import ContactMethod

from ..fields import field_label
from ..forms_merge import RELATIONSHIP_CHOICES, MergeConfirmForm, MergeSelectForm, UnmergeForm, posted_ids
from ..models import Customer, Relationship
from ..selectors import customer_get_for_user, customers_for_user
from ..selectors.duplicates import duplicate_candidates
from ..services.merge import (
    FILLABLE_FIELDS,
    MergeError,
    customer_merge,
    customer_unmerge,
    describe,
    display_value,
    field_value,
    is_empty,
    takeable_fields,
)


def _parent(request, pk) -> Customer:
    return customer_get_for_user(
        user=request.user, pk=pk, queryset=Customer.objects.select_related("dealership", "merge_parent")
    )


def _allowed(request, parent):
    """Files that may be merged into `parent`: same store, not merged anywhere, without merged files of their own."""
    return (
        customers_for_user(user=request.user, dealership_id=parent.dealership_id)
        .filter(merge_parent__isnull=True)
        .exclude(pk=parent.pk)
        .exclude(Exists(Customer.objects.filter(merge_parent=OuterRef("pk"))))
    )


def _require_visible(request, ids) -> None:
    """Every customer id a request names must be one the user may see; anything else is a 404."""
    if ids and customers_for_user(user=request.user).filter(pk__in=ids).count() != len(ids):
        raise Http404("No such customer.")


def _added(request, parent, allowed) -> list[Customer]:
    """Customers added on the select step by DealerMine or DMS number (not every duplicate shares a phone)."""
    number = request.GET.get("add", "").strip()[:32]
    if not number:
        return []
    cond = Q(dms_number=number) | Q(dms_number=number.upper())
    core = number[:-2] if number.endswith("-4") else number
    if core.isdigit() and len(core) <= 18:
        cond |= Q(dealermine_number=int(core))
    return list(allowed.filter(cond)[:5])


@require_http_methods(["GET", "POST"])
def merge_view(request, pk):
    parent = _parent(request, pk)
    if request.method == "POST":
        return _merge_post(request, parent)
    if parent.merge_parent_id:
        return render(request, "customers/merge.html", {"customer": parent, "step": "child"})
    allowed = _allowed(request, parent)
    candidates = duplicate_candidates(user=request.user, customer=parent)
    added = _added(request, parent, allowed)
    preselected = set(posted_ids(request.GET))
    _require_visible(request, list(preselected))
    listed = {c.customer.pk for c in candidates}
    extra = [c for c in added if c.pk not in listed]
    extra += list(allowed.filter(pk__in=preselected - listed - {c.pk for c in extra}))
    return render(
        request,
        "customers/merge.html",
        {
            "customer": parent,
            "step": "select",
            "candidates": candidates,
            "extra": extra,
            "preselected": preselected,
            "relationships": RELATIONSHIP_CHOICES,
            "add": request.GET.get("add", "")[:32],
            "add_missed": bool(request.GET.get("add", "").strip()) and not added,
        },
    )


@require_http_methods(["GET"])
def merge_review_view(request, pk):
    parent = _parent(request, pk)
    if parent.merge_parent_id:
        return redirect("customers:merge", pk=parent.pk)
    ids = posted_ids(request.GET)
    _require_visible(request, ids)
    form = MergeSelectForm(request.GET, parent=parent, allowed=_allowed(request, parent))
    if not form.is_valid():
        for error in form.errors.get("children", []) + form.non_field_errors():
            messages.error(request, error)
        query = "&".join(f"children={pk}" for pk in ids)
        response = redirect("customers:merge", pk=parent.pk)
        response["Location"] += f"?{query}" if query else ""
        return response
    return _render_review(request, parent, form.cleaned_data["children"], form.relationships(), data=None)


def _merge_post(request, parent):
    ids = posted_ids(request.POST)
    _require_visible(request, ids)
    allowed = _allowed(request, parent)
    form = MergeConfirmForm(request.POST, parent=parent, allowed=allowed)
    if form.is_valid():
        try:
            result = customer_merge(
                parent=parent,
                children=form.cleaned_data["children"],
                relationships=form.relationships(),
                fill_fields=form.fill_fields(),
                apply_turn_offs=form.apply_turn_offs(),
                actor=request.user,
            )
        except MergeError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            # Both sides named with their numbers (issue 19): "Merged Pat Doe (DealerMine # 12) into ...".
            names = ", ".join(describe(c) for c in result.children)
            messages.success(
                request,
                ngettext(
                    "Merged %(children)s into %(parent)s.",
                    "Merged %(children)s into %(parent)s.",
                    len(result.children),
                )
                % {"children": names, "parent": describe(result.parent)},
            )
            return redirect("customers:profile", pk=parent.pk)
    children = list(Customer.objects.filter(pk__in=ids).filter(pk__in=allowed.values("pk")).order_by("pk"))
    if len(children) != len(ids) or not children:
        messages.error(
            request,
            gettext(
                "Pick at least one customer to merge. Only files of this customer's store that are not merged "
                "already (and have no merged files of their own) can be merged into it."
            )
            if ids
            else gettext("Pick at least one customer to merge."),
        )
        return redirect("customers:merge", pk=parent.pk)
    relationships = {c.pk: request.POST.get(f"relationship_{c.pk}", Relationship.DUPLICATE) for c in children}
    return _render_review(request, parent, children, relationships, data=request.POST, form=form, status=400)


def _render_review(request, parent, children, relationships, *, data, form=None, status=200):
    rows = []
    for name in FILLABLE_FIELDS:
        parent_value = display_value(parent, name)
        values = [(c, display_value(c, name)) for c in children]
        fillable = is_empty(field_value(parent, name)) and any(v for _, v in values)
        if not parent_value and not any(v for _, v in values):
            continue
        chosen = (data.get(f"fill_{name}", "") if data is not None else "") if fillable else ""
        rows.append(
            {
                "name": name,
                "label": field_label(name),
                "parent": parent_value,
                "values": values,
                "fillable": fillable,
                "chosen": chosen,
            }
        )
    parent_off = list(ContactMethod.objects.filter(customer=parent, is_on=False).select_related("reason"))
    kids = [
        {
            "customer": c,
            "relationship": relationships.get(c.pk, Relationship.DUPLICATE),
            "relationship_label": dict(RELATIONSHIP_CHOICES).get(relationships.get(c.pk), ""),
            "is_duplicate": relationships.get(c.pk) == Relationship.DUPLICATE,
            "apply_turn_offs": bool(data is not None and data.get(f"apply_turn_offs_{c.pk}")),
        }
        for c in children
    ]
    errors = []
    if form is not None and form.errors:
        errors = list(form.non_field_errors())
        for key, field_errors in form.errors.items():
            if key != "__all__":
                label = form.fields[key].label if key in form.fields and form.fields[key].label else key
                errors += [gettext("%(field)s: %(error)s") % {"field": label, "error": e} for e in field_errors]
    return render(
        request,
        "customers/merge.html",
        {
            "customer": parent,
            "step": "review",
            "kids": kids,
            "rows": rows,
            "parent_off": parent_off,
            "errors": errors,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def unmerge_view(request, pk):
    child = customer_get_for_user(
        user=request.user, pk=pk, queryset=Customer.objects.select_related("dealership", "merge_parent")
    )
    if child.merge_parent_id is None:
        messages.info(request, gettext("This customer is not merged into another file."))
        return redirect("customers:profile", pk=child.pk)
    parent = child.merge_parent
    takeable = takeable_fields(child, parent)
    form = UnmergeForm(request.POST or None, takeable=takeable)
    if request.method == "POST" and form.is_valid():
        try:
            customer_unmerge(child=child, take_back_fields=form.cleaned_data["take_back"], actor=request.user)
        except MergeError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                gettext("Unmerged %(child)s from %(parent)s.")
                % {"child": child.display_name or child.dealermine_number, "parent": parent},
            )
            return redirect("customers:profile", pk=child.pk)
    return render(
        request,
        "customers/merge.html",
        {"customer": child, "parent": parent, "step": "unmerge", "form": form},
        status=400 if form.errors else 200,
    )
