"""Writes of the contacts app, split by sub-domain: bounces, consent, contact methods, opt-out imports, the contact
history and the store's do-not-call list."""

from .bounces import (
    BounceBatchResult,
    BounceEventForm,
    BounceImportResult,
    ImportFormatError,
    bounce_events_validate,
    bounce_webhook_ingest,
    bounces_import_csv,
    email_bounces_record,
)
from .consent import consent_expire, email_consent_opt_out, email_consent_record
from .contact_log import ContactLogged, contact_log_record
from .do_not_call import do_not_call_add, do_not_call_remove
from .methods import contact_method_switch
from .opt_outs import OptOutImportResult, opt_out_reason_get, opt_outs_import

__all__ = [
    "BounceBatchResult",
    "BounceEventForm",
    "BounceImportResult",
    "ContactLogged",
    "ImportFormatError",
    "bounce_webhook_ingest",
    "bounces_import_csv",
    "email_consent_opt_out",
    "OptOutImportResult",
    "bounce_events_validate",
    "consent_expire",
    "contact_log_record",
    "contact_method_switch",
    "do_not_call_add",
    "do_not_call_remove",
    "email_bounces_record",
    "email_consent_record",
    "opt_out_reason_get",
    "opt_outs_import",
]
