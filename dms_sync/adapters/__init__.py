"""DMS adapters: one per transport. `adapter_for(dealership)` picks the store's configured one."""

from customers.models import DmsAdapter as AdapterKind

from .base import (
    AdapterError,
    DmsAdapter,
    ExtractInvalid,
    Page,
    Pull,
    RemoveOutcome,
    RemoveResult,
    SourceRow,
)


class NoAdapterConfigured(AdapterError):
    pass


def adapter_for(dealership) -> DmsAdapter:
    from .file_drop import FileDropAdapter
    from .http_api import HttpApiAdapter

    kinds = {AdapterKind.FILE_DROP: FileDropAdapter, AdapterKind.HTTP_API: HttpApiAdapter}
    try:
        return kinds[dealership.dms_adapter](dealership)
    except KeyError:
        raise NoAdapterConfigured(f"Store {dealership.code} has no DMS connection configured.") from None


__all__ = [
    "AdapterError",
    "DmsAdapter",
    "ExtractInvalid",
    "NoAdapterConfigured",
    "Page",
    "Pull",
    "RemoveOutcome",
    "RemoveResult",
    "SourceRow",
    "adapter_for",
]
