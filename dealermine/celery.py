"""Celery application. Tasks take ids and call services; periodic tasks are declared in dms_sync.schedule."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealermine.settings.local")

app = Celery("dealermine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
