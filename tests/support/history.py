"""History entries as a coordinator reads them (labels and display text applied by the history selector)."""

from customers.selectors.history import history_rows


def shown(entry) -> dict:
    """{change key: {"label", "old", "new"}} of one CustomerHistory entry, as the history panel shows it."""
    (row,) = history_rows([entry])
    return {c.key: {"label": c.label, "old": c.old, "new": c.new} for c in row.changes}
