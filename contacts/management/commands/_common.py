"""Shared helpers of the contacts import commands."""

from pathlib import Path

from django.core.management.base import CommandError

from customers.models import Dealership


def dealership_by_code(code: str) -> Dealership:
    try:
        return Dealership.objects.get(code=code)
    except Dealership.DoesNotExist:
        raise CommandError(f"No dealership with code {code!r}.") from None


def open_csv(path: str):
    """A text stream over a UTF-8 CSV (a BOM and CRLF tolerated)."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"File not found: {path}")
    return file.open(encoding="utf-8-sig", newline="")
