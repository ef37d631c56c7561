"""Celery tasks of the contacts app."""
