"""Celery application. Tasks take ids and call services; all periodic tasks are declared in dealermine.schedule."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealermine.settings.local")

app = Celery("dealermine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    from .schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
