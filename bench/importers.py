"""One import run in its own process (so peak RSS is that importer's alone), called by bench/run.py.

    python bench/importers.py --importer ours|naive|iex|copy --database-url URL --extract DIR [--changed DIR]

Importers, all loading the same customers.csv into the same database:
  ours   the project's FileDrop importer (dms_sync.services.pull.dms_pull), exactly what the nightly pull runs
  naive  a plain Django loop: csv.DictReader, the project's row parser, Customer.objects.update_or_create per row
  iex    django-import-export: a ModelResource mapping the CSV columns onto Customer, import_data(...)
  copy   PostgreSQL COPY of the raw CSV into an UNLOGGED table of text columns - the floor
  copy_indexed  PostgreSQL COPY of the rows our importer stores (the customers, their contact-method flags)
         into the same tables with all their indexes and constraints - the fair floor for an importer that
         writes the indexed tables (issue 21: ours <= 1.5x this). The rows are prepared untimed: our importer
         loads the extract once, the tables are copied out (binary) and emptied; only the COPY back is timed.

Phases: "first" (empty database), "again" (the same extract unchanged), "changed" (1% of rows changed).
The COPY floors only have "first": re-loading is the same work again, and they do not reconcile anything.
Prints one JSON line: per phase seconds, rows, rows/s, the peak RSS reached by then and the peak RSS of the pull's
reader process (big extracts are read by a second process; 0 when none ran).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "bench-store"


def rss_mb() -> float:
    """Peak resident set of this process so far. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a
    child would report its (bigger) parent's peak; the high-water mark of /proc is per address space."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class ChildPeakRss:
    """Peak resident set of this process's children (the pull's reader process, dms_sync.readahead), sampled:
    their VmHWM is read from /proc every 0.25 s while they live. Their memory counts towards the import's.
    Only each process's one-line stat is read to find the children, so the sampling costs the measured
    import next to nothing."""

    def __init__(self):
        self.peak_mb = 0.0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        me = str(os.getpid())
        while True:
            time.sleep(0.25)
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:  # field 4, after "pid (comm)"
                        continue
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_mb = max(self.peak_mb, round(int(line.split()[1]) / 1024, 1))

    def take(self) -> float:
        """The peak since the last take()."""
        peak, self.peak_mb = self.peak_mb, 0.0
        return peak


def _rows(folder: Path) -> int:
    return json.loads((folder / "manifest.json").read_text())["files"]["customers.csv"]["rows"]


# --- ours ----------------------------------------------------------------------------------------------------------
def run_ours(store, folder: Path) -> dict:
    from dms_sync.services.pull import dms_pull

    run = dms_pull(dealership=store, path=folder)
    if run.status != "succeeded":
        raise RuntimeError(run.error)
    return {"created": run.created, "updated": run.updated, "unchanged": run.unchanged}


# --- naive ---------------------------------------------------------------------------------------------------------
class NaiveLoop:
    """What a team writes first: parse each row with the same row parser, then one update_or_create per row
    (autocommit, so each row is its own transaction). New customers get the next DealerMine number."""

    def __init__(self, store):
        self.store = store
        self.next_number = 1

    def __call__(self, store, folder: Path) -> dict:
        from customers.models import Customer
        from dms_sync.rows import customer_number, customer_values

        created = updated = 0
        with (folder / "customers.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                number = customer_number(row)
                values, _flags = customer_values(row, store_country=store.country)
                _obj, was_created = Customer.objects.update_or_create(
                    dealership=store,
                    dms_number=number,
                    defaults=values,
                    create_defaults={**values, "dealermine_number": self.next_number},
                )
                if was_created:
                    self.next_number += 1
                    created += 1
                else:
                    updated += 1
        return {"created": created, "updated": updated}


# --- django-import-export ------------------------------------------------------------------------------------------
def customer_resource(store):
    """A ModelResource mapping the extract's customer columns onto Customer, as its documentation suggests:
    column renames through fields.Field, widgets for dates / numbers, the natural key (store, DMS number) as
    import_id_fields, skip_unchanged so an unchanged row is not saved again."""
    from import_export import fields, resources, widgets

    from customers.models import Customer
    from dms_sync.rows import DATE_COLUMNS, EMAIL_COLUMNS, KINDS, PHONE_COLUMNS, TEXT_COLUMNS

    attrs = {
        "dealership": fields.Field(attribute="dealership_id", column_name="dealership", widget=widgets.IntegerWidget()),
        "dms_number": fields.Field(attribute="dms_number", column_name="customer_number"),
        "kind": fields.Field(attribute="kind", column_name="kind"),
        "country": fields.Field(attribute="country", column_name="country"),
        "star_rating": fields.Field(attribute="star_rating", column_name="star_rating", widget=widgets.IntegerWidget()),
        "likely_to_buy": fields.Field(
            attribute="likely_to_buy", column_name="likely_to_buy", widget=widgets.IntegerWidget()
        ),
        "labour_sales_total": fields.Field(
            attribute="labour_sales_total", column_name="labour_sales_total", widget=widgets.DecimalWidget()
        ),
    }
    for column, (field, _max_length) in TEXT_COLUMNS.items():
        attrs.setdefault(field, fields.Field(attribute=field, column_name=column))
    for column in PHONE_COLUMNS + EMAIL_COLUMNS:
        attrs.setdefault(column, fields.Field(attribute=column, column_name=column))
    for column, field in DATE_COLUMNS.items():
        attrs.setdefault(
            field, fields.Field(attribute=field, column_name=column, widget=widgets.DateWidget("%Y-%m-%d"))
        )
    names = list(attrs)

    class Meta:
        model = Customer
        fields = names
        import_id_fields = ("dealership", "dms_number")
        skip_unchanged = True
        report_skipped = False
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        row["dealership"] = store.pk
        row["kind"] = KINDS.get((row.get("customer_type") or "").strip().upper(), "person")
        row["country"] = (row.get("country") or "").upper()
        if not row.get("labour_sales_total"):
            row["labour_sales_total"] = "0"

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            self.next_number += 1
            instance.dealermine_number = self.next_number

    cls = type(
        "CustomerResource",
        (resources.ModelResource,),
        {**attrs, "Meta": Meta, "before_import_row": before_import_row, "before_save_instance": before_save_instance},
    )
    resource_obj = cls()
    resource_obj.next_number = 0
    return resource_obj


class ImportExport:
    def __init__(self, store):
        self.resource = customer_resource(store)

    def __call__(self, store, folder: Path) -> dict:
        import tablib

        text = (folder / "customers.csv").read_text(encoding="utf-8")
        dataset = tablib.Dataset().load(text, format="csv")
        dataset.append_col([store.pk] * len(dataset), header="dealership")  # the store is not a CSV column
        dataset.append_col([""] * len(dataset), header="kind")  # filled from customer_type per row
        result = self.resource.import_data(dataset, dry_run=False, raise_errors=True)
        totals = dict(result.totals)
        return {"created": totals.get("new", 0), "updated": totals.get("update", 0), "unchanged": totals.get("skip", 0)}


# --- COPY ----------------------------------------------------------------------------------------------------------
def run_copy(store, folder: Path) -> dict:
    from django.db import connection

    path = folder / "customers.csv"
    with path.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    cols = ", ".join(f'"{c}" text' for c in header)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_customers")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_copy_customers ({cols})")  # noqa: S608 - our own header
        with (
            path.open("rb") as fh,
            cursor.copy("COPY bench_copy_customers FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        cursor.execute("SELECT count(*) FROM bench_copy_customers")
        return {"created": cursor.fetchone()[0]}


class CopyIndexed:
    """COPY of the stored rows into the indexed tables (see the module docstring); `prepare` is not timed."""

    TABLES = ("customers_customer", "contacts_contactmethod")  # parents first: the order they are copied back

    def __init__(self):
        self.files: dict[str, Path] = {}

    def prepare(self, store, folder: Path) -> None:
        import tempfile

        from django.db import connection

        started = time.perf_counter()
        run_ours(store, folder)
        self.ours_seconds = round(time.perf_counter() - started, 3)
        tmp = Path(tempfile.mkdtemp(prefix="bench-copy-indexed-"))
        with connection.cursor() as cursor:
            for table in self.TABLES:
                self.files[table] = tmp / f"{table}.bin"
                with (
                    self.files[table].open("wb") as out,
                    cursor.copy(
                        f"COPY {table} TO STDOUT WITH (FORMAT binary)"  # noqa: S608 - our own table names
                    ) as copy,
                ):
                    for chunk in copy:
                        out.write(chunk)
            cursor.execute(f"TRUNCATE {', '.join(self.TABLES)} CASCADE")
            cursor.execute("CHECKPOINT")

    def __call__(self, store, folder: Path) -> dict:
        from django.db import connection, transaction

        counts = {}
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.TABLES:
                with (
                    self.files[table].open("rb") as fh,
                    cursor.copy(
                        f"COPY {table} FROM STDIN WITH (FORMAT binary)"  # noqa: S608 - our own table names
                    ) as copy,
                ):
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
        for path in self.files.values():
            path.unlink(missing_ok=True)
        return {"created": counts["customers_customer"], "rows_per_table": counts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--importer", choices=["ours", "naive", "iex", "copy", "copy_indexed"], required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--extract", required=True)
    parser.add_argument("--changed")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dealermine.settings.local"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from customers.models import Customer, Dealership, DmsAdapter

    store, _ = Dealership.objects.get_or_create(
        code=STORE, defaults={"name": "Bench Store", "country": "US", "dms_adapter": DmsAdapter.FILE_DROP}
    )
    importer = {
        "ours": lambda: run_ours,
        "naive": lambda: NaiveLoop(store),
        "iex": lambda: ImportExport(store),
        "copy": lambda: run_copy,
        "copy_indexed": CopyIndexed,
    }[args.importer]()
    phases = [("first", Path(args.extract))]
    if not args.importer.startswith("copy"):
        phases.append(("again", Path(args.extract)))
        if args.changed:
            phases.append(("changed", Path(args.changed)))
    out = {"importer": args.importer, "backend": connection.vendor, "rss_setup_mb": rss_mb(), "phases": {}}
    children = ChildPeakRss()
    for phase, folder in phases:
        rows = _rows(folder)
        if hasattr(importer, "prepare"):
            importer.prepare(store, folder)
        started = time.perf_counter()
        counts = importer(store, folder)
        seconds = time.perf_counter() - started
        out["phases"][phase] = {
            # copy_indexed: its preparation is our importer's first import of the same extract in the same process
            # and database; its seconds are kept beside, for the ratio measured side by side.
            **({"ours_seconds": importer.ours_seconds} if hasattr(importer, "ours_seconds") else {}),
            "rows": rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1),
            "peak_rss_mb": rss_mb(),
            "reader_peak_rss_mb": children.take(),
            "counts": counts,
        }
    if args.importer != "copy":
        out["stored_customers"] = Customer.objects.filter(dealership=store).count()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
