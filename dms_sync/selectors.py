"""Reads of the DMS integration."""

from .models import RemoveRequest, RemoveStatus, SyncRun, SyncStatus


def remove_requests_for_customer(*, customer):
    """The customer's remove requests, newest first (the profile shows pending / acknowledged / dead)."""
    return RemoveRequest.objects.filter(customer=customer).order_by("-requested_at", "-pk")


def remove_request_state_label(request: RemoveRequest) -> str:
    return {
        RemoveStatus.PENDING: "Pending",
        RemoveStatus.SENT: "Pending",
        RemoveStatus.ACKNOWLEDGED: "Acknowledged",
        RemoveStatus.DEAD: "Dead",
    }[request.status]


def sync_run_last_succeeded(*, dealership) -> SyncRun | None:
    return SyncRun.objects.filter(dealership=dealership, status=SyncStatus.SUCCEEDED).order_by("-started_at").first()
