"""python manage.py make_sample_extract --dealership CODE --customers N --out DIR: a realistic file-drop extract."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.models import Dealership
from dealermine.paths import store_code_argument
from dms_sync.sample_extract import ExtractSpec, extract_write


class Command(BaseCommand):
    help = (
        "Write a deterministic DMS extract (manifest.json + customers/vehicles/repair_orders CSV) to "
        "<out>/<CODE>/<YYYYMMDD>/. Rows are written as they are generated: memory stays flat for any N."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dealership", required=True, type=store_code_argument, help="Store code (the store need not exist)."
        )
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument("--out", required=True, help="Drop root; the extract goes to <out>/<CODE>/<YYYYMMDD>/.")
        parser.add_argument("--messy-share", type=float, default=0.0, help="Share of deliberately bad rows (0-1).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--date", dest="extract_date", default="2026-11-01", help="Extract date, YYYY-MM-DD.")
        parser.add_argument("--country", choices=["US", "CA"], default=None, help="Default: the store's country.")
        parser.add_argument("--first-number", type=int, default=500000, help="First DMS customer number.")

    def handle(self, *args, dealership, customers, out, messy_share, seed, extract_date, country, first_number, **opts):
        if customers < 0:
            raise CommandError("--customers must be 0 or more.")
        if not 0 <= messy_share <= 1:
            raise CommandError("--messy-share must be between 0 and 1.")
        try:
            extract_date = date.fromisoformat(extract_date)
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD.") from None
        store = Dealership.objects.filter(code=dealership).first()
        spec = ExtractSpec(
            dealership_code=dealership,
            country=country or (store.country if store else "US"),
            customers=customers,
            seed=seed,
            messy_share=messy_share,
            extract_date=extract_date,
            has_showroom_equity=bool(store and store.has_showroom_equity),
            first_number=first_number,
        )
        folder = extract_write(spec=spec, out_dir=Path(out))
        self.stdout.write(self.style.SUCCESS(f"Wrote {customers} customers to {folder}"))
