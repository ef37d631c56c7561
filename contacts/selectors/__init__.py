"""Reads of the contacts app, split by sub-domain. Every read that takes a user is scoped to the user's stores."""

from .call_select import CallSelectRow, call_select_list
from .email import (
    EmailStatus,
    customer_email_statuses,
    email_bounce_count,
    email_is_invalid_for_store,
    email_status_build,
)
from .reports import BounceReport, BounceReportRow, bounce_report

__all__ = [
    "BounceReport",
    "BounceReportRow",
    "CallSelectRow",
    "EmailStatus",
    "bounce_report",
    "call_select_list",
    "customer_email_statuses",
    "email_bounce_count",
    "email_is_invalid_for_store",
    "email_status_build",
]
