"""Apply an opt-out list: python manage.py import_opt_outs --dealership CODE [--reason CODE] FILE.csv"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contacts.services import ImportFormatError, opt_out_reason_get, opt_outs_import
from dealermine.paths import store_code_argument

from ._common import dealership_by_code, open_csv


class Command(BaseCommand):
    help = (
        "Turn off the Cell Phone / Email contact method of every customer of the store matching a cell number or "
        "email in the CSV (header with a cell_phone/phone column and/or an email column, or one 'key' column). "
        "History records the import as the actor. Unknown keys are listed. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dealership", required=True, type=store_code_argument, help="Store code.")
        parser.add_argument(
            "--reason", default="", help="Turn Off reason code (active, for contact methods). Default: OPTOUT."
        )
        parser.add_argument("file", help="CSV file (UTF-8).")

    def handle(self, *args, dealership, reason, file, **options):
        store = dealership_by_code(dealership)
        try:
            turn_off_reason = opt_out_reason_get(dealership=store, code=reason or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        name = Path(file).name
        with open_csv(file) as stream:
            try:
                result = opt_outs_import(dealership=store, stream=stream, filename=name, reason=turn_off_reason)
            except (ImportFormatError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: {exc}") from None
        for line, message in result.errors:
            self.stderr.write(f"line {line}: {message}")
        self.stdout.write(
            f"{name} -> {store.code} (reason {turn_off_reason.code}): {result.rows} rows, {result.keys} keys, "
            f"{result.customers_matched} customer matches, {result.turned_off} turned off, "
            f"{result.already_off} already off, {len(result.unknown_keys)} unknown, {len(result.errors)} rejected"
        )
        if result.unknown_keys:
            self.stdout.write("Unknown keys (no customer of this store):")
            for line, key in result.unknown_keys:
                self.stdout.write(f"  line {line}: {key}")
