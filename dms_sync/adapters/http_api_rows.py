"""HTTP API DMS items -> SourceRows in the extract's column names (DESIGN §6), so the sync reads an API pull
exactly like a file-drop extract."""

from __future__ import annotations

import json

from .base import Page, SourceRow

#: Nested lists of an API customer item -> the Page attribute (and extract file) their rows go to.
NESTED = {"vehicles": "vehicles", "repair_orders": "repair_orders", "repairOrders": "repair_orders"}


def _text(value) -> str:
    """API JSON values -> the extract's text conventions (flags Y/N, empty = no value)."""
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    return str(value).strip()


def item_number(item) -> str:
    """The customer number the sync reads from an item's customer row ("" when it has none)."""
    if not isinstance(item, dict):
        return ""
    if "customer_number" in item:
        return _text(item["customer_number"])
    return _text(item.get("number"))


def item_to_rows(item: dict, *, source: str, index: int, nested: bool = True) -> Page:
    """One API customer object -> SourceRows in the extract's column names, all at line `index`. With
    `nested=False` only the customer row: its vehicles and repair orders are left out."""
    if not isinstance(item, dict):
        return Page(customers=[SourceRow(source, index, {"__error__": "item is not an object"}, json.dumps(item))])
    raw = json.dumps(item, sort_keys=True, default=str)[:20000]
    data = {k: _text(v) for k, v in item.items() if k not in NESTED}
    if "customer_number" not in data and "number" in data:
        data["customer_number"] = data.pop("number")
    page = Page(customers=[SourceRow(source, index, data, raw)])
    if not nested:
        return page
    number = data.get("customer_number", "")
    for key, attr in NESTED.items():
        children = item.get(key) or []
        if not isinstance(children, list):
            children = []
        for child in children:
            if not isinstance(child, dict):
                continue
            child_data = {k: _text(v) for k, v in child.items()}
            child_data.setdefault("customer_number", number)
            getattr(page, attr).append(
                SourceRow(f"{source}#{attr}", index, child_data, json.dumps(child, sort_keys=True, default=str))
            )
    return page
