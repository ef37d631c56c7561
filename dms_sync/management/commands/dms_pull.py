"""python manage.py dms_pull --dealership CODE [--path DIR]: one DMS pull by hand, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from customers.models import Dealership
from dealermine.paths import store_code_argument
from dms_sync.adapters import AdapterError
from dms_sync.services.pull import SyncAlreadyRunning, dms_pull


class Command(BaseCommand):
    help = "Pull customers, vehicles and repair orders from a store's DMS now (exit status 1 when the run fails)."

    def add_arguments(self, parser):
        parser.add_argument("--dealership", required=True, type=store_code_argument, help="Store code.")
        parser.add_argument(
            "--path", default=None, help="File drop: an extract folder (with manifest.json), or a drop root."
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per transaction (default 2000).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")

    def handle(self, *args, dealership, path, batch_size, no_progress, **options):
        store = Dealership.objects.filter(code=dealership).first()
        if store is None:
            raise CommandError(f"No store with code {dealership!r}.")
        console = Console(file=self.stdout, force_terminal=False if no_progress else None, soft_wrap=True)
        progress = Progress(
            TextColumn(f"[bold]{store.code}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            console=console,
            disable=no_progress,
            transient=False,
        )
        task = progress.add_task("pull", total=None)

        def advance(done, total):
            progress.update(task, completed=done, total=total)

        try:
            with progress:
                run = dms_pull(dealership=store, path=path, batch_size=batch_size, progress=advance)
        except SyncAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        except AdapterError as exc:
            raise CommandError(str(exc)) from exc

        table = Table(title=f"DMS pull #{run.pk} - {store.name} ({run.adapter})")
        for column in ("status", "seen", "created", "updated", "unchanged", "quarantined", "duration"):
            table.add_column(column, justify="right" if column not in ("status",) else "left")
        duration = f"{run.duration.total_seconds():.1f}s" if run.duration else "-"
        table.add_row(
            run.status,
            str(run.seen),
            str(run.created),
            str(run.updated),
            str(run.unchanged),
            str(run.quarantined),
            duration,
        )
        console.print(table)
        console.print(f"source: {run.source or '-'}   cursor: {run.cursor or '-'}")
        for warning in run.warnings:
            console.print(f"warning: {warning}", markup=False)
        if run.quarantined:
            console.print(f"{run.quarantined} row(s) quarantined: see Django admin, DMS sync > Quarantined rows.")
        if run.status != "succeeded":
            raise CommandError(f"DMS pull failed: {run.error}")
