"""Import an email provider's bounce-report export: python manage.py import_bounces --dealership CODE FILE.csv"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contacts.services import ImportFormatError, bounces_import_csv
from dealermine.paths import store_code_argument

from ._common import dealership_by_code, open_csv

MAX_LISTED_ERRORS = 200


class Command(BaseCommand):
    help = (
        "Import a bounce-report CSV (header: email, bounced_at, campaign, reason; optional kind/type, id). "
        "Bad rows are reported by line and skipped; re-importing the same file stores nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dealership", required=True, type=store_code_argument, help="Store code.")
        parser.add_argument("file", help="CSV file (UTF-8).")

    def handle(self, *args, dealership, file, **options):
        store = dealership_by_code(dealership)
        with open_csv(file) as stream:
            try:
                result = bounces_import_csv(dealership=store, stream=stream)
            except (ImportFormatError, UnicodeDecodeError) as exc:
                raise CommandError(f"{Path(file).name}: {exc}") from None
        for line, errors in result.errors[:MAX_LISTED_ERRORS]:
            detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
            self.stderr.write(f"line {line}: {detail}")
        if len(result.errors) > MAX_LISTED_ERRORS:
            self.stderr.write(f"... and {len(result.errors) - MAX_LISTED_ERRORS} more bad rows")
        self.stdout.write(
            f"{Path(file).name} -> {store.code}: {result.rows} rows, {result.stored} stored, "
            f"{result.duplicates} already imported, {len(result.errors)} rejected"
        )
