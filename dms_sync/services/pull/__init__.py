"""The nightly DMS pull (DESIGN §6), by responsibility:

- loop: `dms_pull`, one run: validate, then the pages, read ahead, each in its own transaction;
- runs: the SyncRun: the one-run-per-store lock, liveness, abandoned runs, the run's counters and outcome;
- counts: what a run carries from page to page (counts per file, warnings, quarantined rows);
- customers, vehicles, repair_orders: what a page's rows of each file change, and its history;
- allow_flags: the DMS's allow_* flags as contact-method switches, made by the one writer of that state;
- owners: the customer a vehicle or repair-order row belongs to;
- db_tuning: the database-specific lookups and statistics, behind one seam.
"""

from .loop import dms_pull
from .runs import SyncAlreadyRunning, sync_run_is_abandoned, sync_run_start

__all__ = ["SyncAlreadyRunning", "dms_pull", "sync_run_is_abandoned", "sync_run_start"]
