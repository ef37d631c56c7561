"""Celery tasks of the customers app."""
