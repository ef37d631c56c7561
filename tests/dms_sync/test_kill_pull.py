"""A real `manage.py dms_pull` process killed with SIGKILL midway; the next run takes over and converges.

PostgreSQL only (the pull runs in another process against the test database; CI runs the suite on both).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.models import Customer, Dealership
from dms_sync.models import SyncRun
from dms_sync.services.pull import dms_pull
from tests.support.celery_worker import wait_for_other_sessions_to_end, worker_database_url

from .extracts import customer_checksum

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pull_killed_with_sigkill_is_taken_over_and_converges(write_extract, file_store):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the killed pull runs in another process (CI runs the suite on both)")
    folder = write_extract(customers=3000, messy_share=0.02)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dealermine.settings.test",
        "DATABASE_URL": worker_database_url(),
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "dms_pull",
            "--dealership",
            file_store.code,
            "--path",
            str(folder),
            "--batch-size",
            "100",
            "--no-progress",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = SyncRun.objects.filter(dealership=file_store).first()
        if run and run.seen >= 500:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    wait_for_other_sessions_to_end()
    killed = SyncRun.objects.get(dealership=file_store)
    assert killed.status == "running", "the pull finished before it could be killed"
    assert 0 < Customer.objects.filter(dealership=file_store).count() < 3000

    rerun = dms_pull(dealership=file_store, path=folder)  # its pid is gone: the run is abandoned, not blocking
    assert rerun.status == "succeeded", rerun.error
    killed.refresh_from_db()
    assert killed.status == "failed" and "Abandoned" in killed.error
    converged = customer_checksum(file_store)

    Customer.objects.filter(dealership=file_store).delete()
    SyncRun.objects.all().delete()
    Dealership.objects.filter(pk=file_store.pk).update(next_dealermine_number=100001)
    assert dms_pull(dealership=file_store, path=folder).status == "succeeded"
    assert customer_checksum(file_store) == converged
