"""The customers app's models, by sub-domain: stores, the customer file, vehicles, activity and the audit log."""

from .activity import Association, Inquiry, VerificationStamp
from .audit import AuditAction, CustomerHistory, HistorySource, TurnOffEvent, TurnOffTarget
from .creation import CustomerCreation
from .customer import (
    ContactMethodKind,
    Customer,
    CustomerKind,
    CustomerStatus,
    DayNight,
    Gender,
    Language,
    Relationship,
    has_value,
)
from .people import UserLanguage
from .stores import (
    Country,
    Dealership,
    DmsAdapter,
    DmsVendor,
    Membership,
    Role,
    ServiceAdvisor,
    TurnOffReason,
    validate_time_zone,
)
from .vehicles import RepairOrder, Vehicle, VehicleContactType, VinContactType

__all__ = [
    "Association",
    "AuditAction",
    "ContactMethodKind",
    "Country",
    "Customer",
    "CustomerCreation",
    "CustomerHistory",
    "CustomerKind",
    "CustomerStatus",
    "DayNight",
    "Dealership",
    "DmsAdapter",
    "DmsVendor",
    "Gender",
    "HistorySource",
    "Inquiry",
    "Language",
    "Membership",
    "RepairOrder",
    "Relationship",
    "Role",
    "ServiceAdvisor",
    "TurnOffEvent",
    "TurnOffReason",
    "TurnOffTarget",
    "UserLanguage",
    "Vehicle",
    "VehicleContactType",
    "VerificationStamp",
    "VinContactType",
    "has_value",
    "validate_time_zone",
]
