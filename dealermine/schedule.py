"""Every periodic task of the project, in one place: dealermine/celery.py installs `beat_schedule()` as the
Celery beat schedule when the app is finalized.

Add an entry here, never a second schedule elsewhere. Intervals that tests shorten are settings
(dealermine/settings/base.py), which read them from the environment.
"""

from celery.schedules import crontab
from django.conf import settings


def beat_schedule() -> dict:
    return {
        # DMS: one task fans out a pull per store at its nightly time in its own time zone.
        "dms-pull-fan-out": {
            "task": "dms_sync.dms_pull_fan_out",
            "schedule": crontab(minute="*/5"),
        },
        # DMS: re-send due remove requests (lost broker messages, killed workers, backoff elapsed).
        "dms-remove-requests-sweep": {
            "task": "dms_sync.remove_requests_sweep",
            "schedule": float(settings.DMS_REMOVE_SWEEP_SECONDS),
        },
        # Contacts: mark lapsed implied email consents (CASL) expired, daily (idempotent).
        "contacts-consent-expire": {
            "task": "contacts.consent_expire",
            "schedule": crontab(hour=6, minute=15),
        },
    }
