"""Cells of the CSV files the app hands out (bounce report, Call Select): text that came from outside (a name, a
campaign, a note) must never run as a spreadsheet formula (CSV injection), so a cell starting with =, +, -, @,
a tab or a carriage return is prefixed with an apostrophe, which spreadsheets show as text."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_row(values) -> list[str]:
    return [csv_cell(v) for v in values]
