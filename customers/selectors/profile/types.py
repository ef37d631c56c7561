"""The profile's read model: plain data the templates read (no queries, no rules beyond simple derivations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.utils.translation import gettext, gettext_lazy

from contacts.contactability import Answer, Blocker
from contacts.selectors.contact_history import ContactHistoryRow, LastContactShown
from contacts.selectors.email import EmailStatus
from dms_sync.models import RemoveStatus

from ...models import Customer, Dealership, Vehicle

#: How long after opening a file from a search the profile offers to log the call as inbound in one click.
INBOUND_WINDOW = timedelta(minutes=30)

#: Reasons about the customer as a whole (shown once, in a banner), not about one method.
CUSTOMER_BLOCKERS = frozenset({Blocker.INACTIVE, Blocker.DUPLICATE_CHILD})

DMS_SHORT_NAMES = {"cdk": "CDK", "reynolds": "R&R", "dealertrack": "DT", "tekion": "TEK"}

SALESPERSON_SOURCES = {
    "reassigned": gettext_lazy("Reassigned"),
    "sold": gettext_lazy("Last sold deal"),
    "activity": gettext_lazy("Last sales activity"),
}


@dataclass(frozen=True)
class Stamp:
    """Who did something and when (last verification, last inquiry, last change)."""

    at: datetime
    by: str
    #: The last change's audit action (customers.models.AuditAction), e.g. "create" for a file nobody changed since.
    action: str = ""


@dataclass(frozen=True)
class Salesperson:
    name: str
    on: date | None
    source: str

    @property
    def source_label(self) -> str:
        return SALESPERSON_SOURCES[self.source]


@dataclass(frozen=True)
class ContactMethodState:
    """One contact method as the profile and Customer Information show it: its on/off state (what a coordinator
    switches) and the contactability answer (contacts.contactability: may the store contact the customer this way
    now, and if not why)."""

    kind: str
    label: str
    is_on: bool
    #: The customer's stored preference (the star is shown only when the method is also contactable).
    is_preferred: bool
    #: The value the method reaches, for display (a formatted phone, an address, an email).
    value: str
    answer: Answer
    reason: str = ""  # the turn-off reason's label
    changed_at: datetime | None = None
    changed_by: str = ""

    @property
    def method(self) -> str:
        return self.kind

    @property
    def usable(self) -> bool:
        """May the store contact the customer this way now (the contactability answer)."""
        return self.answer.ok

    @cached_property  # read several times per method by the templates; the state is immutable
    def status(self) -> str:
        """ok (green check), no_value (nothing on file: not a check, not an X), blocked (red X with the reason)."""
        if self.answer.ok:
            return "ok"
        return "no_value" if self.answer.blockers == {Blocker.NO_VALUE} else "blocked"

    @property
    def is_preferred_shown(self) -> bool:
        return self.is_preferred and self.answer.ok

    @property
    def why(self) -> str:
        return self.answer.why

    @property
    def detail(self) -> str:
        """The reasons about this method itself (the customer-wide ones are in the page's banner)."""
        return "; ".join(r.message for r in self.answer.reasons if r.blocker not in CUSTOMER_BLOCKERS)

    @property
    def state_text(self) -> str:
        """What the indicator says: "contactable", "no number on file", "not contactable: <why>"."""
        if self.status == "ok":
            return gettext("contactable")
        if self.status == "no_value":
            return self.why
        return gettext("not contactable: %(why)s") % {"why": self.why}


@dataclass(frozen=True)
class PhoneRow:
    label: str
    number: str
    ext: str
    method: ContactMethodState


@dataclass(frozen=True)
class AssociationLink:
    customer_id: int
    name: str
    relationship: str
    note: str


@dataclass(frozen=True)
class FamilyMember:
    customer_id: int
    name: str
    dealermine_number: str
    dms_number: str
    relationship: str
    is_parent: bool
    is_current: bool
    is_active: bool


@dataclass(frozen=True)
class RemoveRequestState:
    field: str
    value: str
    status: str
    status_label: str
    requested_at: datetime | None
    attempts: int
    last_error: str

    @property
    def is_open(self) -> bool:
        return self.status in (RemoveStatus.PENDING, RemoveStatus.SENT)


@dataclass(frozen=True)
class VinContactTypeState:
    code: str
    label: str
    is_on: bool
    reason: str = ""  # the turn-off reason's label
    comment: str = ""


@dataclass(frozen=True)
class VehicleState:
    vehicle: Vehicle
    contact_types: list[VinContactTypeState]

    @property
    def off_types(self) -> list[VinContactTypeState]:
        return [t for t in self.contact_types if not t.is_on]


@dataclass
class ProfileData:
    """The screen's read model. Derived lists are cached: the template reads several of them more than once."""

    customer: Customer
    dealership: Dealership
    now: datetime
    name_is_other_name: bool
    age: int | None
    language_label: str
    emails: list[EmailStatus]
    contact_methods: list[ContactMethodState]
    #: Home, Work, Cell (customers.fields.PHONE_METHOD_FIELDS) with their method's state.
    phone_rows: list[PhoneRow]
    contact_methods_follow_parent: bool
    preferred_method: str
    salesperson: Salesperson | None
    shows_salesperson: bool
    has_purchase_history: bool
    entered_by: str
    last_verification: Stamp | None
    verification_label: str
    last_inquiry: Stamp | None
    last_change: Stamp | None
    associations: list[AssociationLink]
    family: list[FamilyMember]
    remove_requests: list[RemoveRequestState]
    vehicles: list[VehicleState]
    sales_visible: bool
    labour_sales_total: Decimal
    repair_order_count: int
    likely_to_buy_level: int | None
    #: Set when the preferred method cannot be used now: says which and why (no star is shown then).
    preferred_note: str = ""
    inactive_since: datetime | None = None
    inactivated_by: str = ""
    #: The newest contacts of the contact history (contacts.selectors.contact_history), newest first, and how many
    #: there are in all (the Contact History page lists them all).
    contact_history: list[ContactHistoryRow] = field(default_factory=list)
    contact_count: int = 0
    #: "Last contact": the newest logged contact or the DMS's later date (None: never).
    last_contact: LastContactShown | None = None
    #: Who recorded the last inquiry (opened the file from a search), for the one-click inbound log.
    last_inquiry_user_id: int | None = None

    def offers_inbound_log(self, user_id: int | None) -> bool:
        """The user opened this file from a search within the last INBOUND_WINDOW and has logged no contact since:
        the customer is probably on the phone, and one click logs the inbound call."""
        inquiry = self.last_inquiry
        if inquiry is None or user_id is None or self.last_inquiry_user_id != user_id:
            return False
        if inquiry.at < self.now - INBOUND_WINDOW:
            return False
        latest = self.contact_history[0] if self.contact_history else None
        return latest is None or latest.at < inquiry.at

    @cached_property
    def contact_methods_off(self) -> list[ContactMethodState]:
        return [m for m in self.contact_methods if not m.is_on]

    @cached_property
    def methods_by_kind(self) -> dict[str, ContactMethodState]:
        return {m.kind: m for m in self.contact_methods}

    @cached_property
    def preferred_method_kind(self) -> str:
        return next((m.kind for m in self.contact_methods if m.is_preferred), "")

    @cached_property
    def email_star_field(self) -> str:
        """The address beside which the preferred star sits: the one the Email method would use."""
        method = self.methods_by_kind.get("email")
        if method is None or not method.is_preferred_shown:
            return ""
        return next((e.field for e in self.emails if e.usable), "")

    @cached_property
    def email_method_note(self) -> bool:
        """Email cannot be used although no address on file says so itself (e.g. the customer is inactive)."""
        method = self.methods_by_kind.get("email")
        return bool(self.emails) and method is not None and not method.usable and all(e.usable for e in self.emails)

    @cached_property
    def primary_email(self) -> EmailStatus | None:
        return self.emails[0] if self.emails else None

    @cached_property
    def dealermine_numbers(self) -> list[str]:
        """This file's number first, then the other files of its merge family."""
        numbers = [self.customer.dealermine_number_display]
        numbers += [m.dealermine_number for m in self.family if not m.is_current]
        return list(dict.fromkeys(numbers))

    @cached_property
    def dms_numbers(self) -> list[str]:
        numbers = [self.customer.dms_number] + [m.dms_number for m in self.family if not m.is_current]
        return list(dict.fromkeys(n for n in numbers if n))

    @cached_property
    def open_remove_requests(self) -> list[RemoveRequestState]:
        return [r for r in self.remove_requests if r.status != RemoveStatus.ACKNOWLEDGED]

    @cached_property
    def dms_logo_label(self) -> str:
        return DMS_SHORT_NAMES.get(self.dealership.dms_vendor, "DMS")

    @cached_property
    def acknowledged_remove_requests(self) -> list[RemoveRequestState]:
        return [r for r in self.remove_requests if r.status == RemoveStatus.ACKNOWLEDGED]

    @cached_property
    def association_names(self) -> str:
        return ", ".join(f"{a.name} ({a.relationship})" for a in self.associations)
