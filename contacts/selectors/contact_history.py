"""Reads of the contact history (contacts.models.ContactLog): its rows as the profile's Contact History panel and
the Contact History page show them (columns after the real product: user, date, VIN, contact type, in/out,
result, note), and the profile's "Last contact".

The profile loads its newest rows inside its one query (`recent_contact_logs` + `CONTACT_ROW_FIELDS`, parsed by
`contact_history_row_of`); the page lists them all, newest first, paginated (`contact_history_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import pgettext

from customers.models import VinContactType

from ..models import INBOUND_CHANNELS, ContactChannel, ContactLog, ContactResult

#: Rows the profile's panel shows (the newest); the Contact History page has them all.
PROFILE_ROWS = 10
PAGE_SIZE = 25
_TYPES = dict(VinContactType.choices)
_CHANNELS = dict(ContactChannel.choices)
_RESULTS = dict(ContactResult.choices)


@dataclass(frozen=True)
class ContactHistoryRow:
    id: int
    at: datetime
    user: str
    vin: str
    contact_type: str
    channel: str
    result: str
    note: str = ""
    phone: str = ""
    call_back_on: date | None = None

    @property
    def contact_type_label(self) -> str:
        label = _TYPES.get(self.contact_type)
        return str(label) if label is not None else pgettext("contact type", "General")

    @property
    def inbound(self) -> bool:
        return self.channel in INBOUND_CHANNELS

    @property
    def direction(self) -> str:
        return pgettext("contact direction", "In") if self.inbound else pgettext("contact direction", "Out")

    @property
    def channel_label(self) -> str:
        return str(_CHANNELS.get(self.channel, self.channel))

    @property
    def result_label(self) -> str:
        return str(_RESULTS.get(self.result, self.result))


def _user_label(first="", last="", username="", label="") -> str:
    return " ".join(p for p in (first, last) if p) or username or label or ""


def contact_history_row(log: ContactLog) -> ContactHistoryRow:
    """A row out of a ContactLog (its `user` selected)."""
    user = log.user
    return ContactHistoryRow(
        id=log.pk,
        at=log.contacted_at,
        user=_user_label(user.first_name, user.last_name, user.get_username()) if user else log.user_label,
        vin=log.vin,
        contact_type=log.contact_type,
        channel=log.channel,
        result=log.result,
        note=log.note,
        phone=log.phone,
        call_back_on=log.call_back_on,
    )


# --- inside the profile's one query -------------------------------------------------------------------------------

#: JSON key -> ContactLog column, for the profile's JSON array of its newest rows.
CONTACT_ROW_FIELDS = {
    "id": "id",
    "at": "contacted_at",
    "first": "user__first_name",
    "last": "user__last_name",
    "username": "user__username",
    "label": "user_label",
    "vin": "vin",
    "type": "contact_type",
    "channel": "channel",
    "result": "result",
    "note": "note",
    "phone": "phone",
    "call_back_on": "call_back_on",
}


def recent_contact_logs():
    """The newest PROFILE_ROWS contact logs of the outer query's customer (a queryset for a JSON array)."""
    newest = (
        ContactLog.objects.filter(customer=OuterRef(OuterRef("pk")))
        .order_by("-contacted_at", "-pk")
        .values("pk")[:PROFILE_ROWS]
    )
    return ContactLog.objects.filter(customer=OuterRef("pk"), pk__in=newest)


def _dt(value) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def contact_history_row_of(obj: dict) -> ContactHistoryRow:
    """A row out of one object of the profile's JSON array."""
    call_back = obj.get("call_back_on")
    if call_back and not isinstance(call_back, date):
        call_back = parse_date(str(call_back)[:10])
    return ContactHistoryRow(
        id=int(obj["id"]),
        at=_dt(obj.get("at")),
        user=_user_label(obj.get("first") or "", obj.get("last") or "", obj.get("username") or "", obj.get("label")),
        vin=obj.get("vin") or "",
        contact_type=obj.get("type") or "",
        channel=obj.get("channel") or "",
        result=obj.get("result") or "",
        note=obj.get("note") or "",
        phone=obj.get("phone") or "",
        call_back_on=call_back or None,
    )


def contact_history_rows_of(objects) -> list[ContactHistoryRow]:
    """The profile's rows, newest first (a JSON aggregate has no order of its own)."""
    rows = [contact_history_row_of(o) for o in objects or [] if isinstance(o, dict)]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.at or epoch, r.id), reverse=True)


# --- the page -----------------------------------------------------------------------------------------------------


def contact_history_page(*, customer, page=None):
    """The customer's contact history, newest first, PAGE_SIZE per page (rows as `ContactHistoryRow`)."""
    qs = ContactLog.objects.filter(customer=customer).select_related("user").order_by("-contacted_at", "-pk")
    result = Paginator(qs, PAGE_SIZE).get_page(page)
    result.object_list = [contact_history_row(log) for log in result.object_list]
    return result


# --- "Last contact" -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastContactShown:
    """The profile's "Last contact": the newest logged contact, or the DMS's date when the extract carries a later
    one (a contact made in the DMS or another tool)."""

    on: date
    row: ContactHistoryRow | None = None

    @property
    def from_dms(self) -> bool:
        return self.row is None


def last_contact_pick(*, latest: ContactHistoryRow | None, dms_date: date | None, time_zone: str):
    """The later of the newest logged contact (its date at the store) and the DMS's last-contact date."""
    logged = latest.at.astimezone(ZoneInfo(time_zone)).date() if latest and latest.at else None
    if logged is None and dms_date is None:
        return None
    if logged is not None and (dms_date is None or logged >= dms_date):
        return LastContactShown(on=logged, row=latest)
    return LastContactShown(on=dms_date)
