"""Celery tasks of the contacts app. Periodic ones are declared with the others in the project schedule."""

from celery import shared_task

from .services import consent_expire as consent_expire_service


@shared_task(name="contacts.consent_expire")
def consent_expire() -> int:
    """Daily: mark lapsed implied email consents as expired (idempotent)."""
    return consent_expire_service()
