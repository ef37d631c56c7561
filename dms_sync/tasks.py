"""Celery tasks of the DMS integration. Tasks take ids, re-fetch and call services."""
