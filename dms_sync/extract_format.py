"""The DMS extract format (DESIGN §6): file names, columns and the value rules that are the format's own.

A nightly file-drop extract is `<drop>/<DEALERSHIP_CODE>/<YYYYMMDD>/` holding `manifest.json`, `customers.csv`,
`vehicles.csv` and optionally `repair_orders.csv`. The HTTP API sends the same columns as JSON keys. This module
is the one place that says so: the importer (dms_sync.rows, dms_sync.adapters) and the sample-data generator
(dms_sync.sample_extract) both read it, so a generated extract is always one the importer accepts.

Pure Python on purpose (no Django import): the generator, the benchmarks and the reading process use it.
"""

from __future__ import annotations

import re

MANIFEST = "manifest.json"
CUSTOMERS = "customers.csv"
VEHICLES = "vehicles.csv"
REPAIR_ORDERS = "repair_orders.csv"

#: The files an extract must list (repair orders are optional), and the order they are loaded in: customers
#: first, so the vehicles and repair orders of a new customer find their owner.
REQUIRED_FILES = [CUSTOMERS, VEHICLES]
FILE_ORDER = [CUSTOMERS, VEHICLES, REPAIR_ORDERS]
#: An extract folder is named by its date, YYYYMMDD; the newest one is the one loaded.
EXTRACT_FOLDER_RE = re.compile(r"^\d{8}$")

CUSTOMER_COLUMNS = [
    "customer_number",
    "customer_type",
    "first_name",
    "middle_name",
    "last_name",
    "company_name",
    "contact_name",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "county",
    "country",
    "home_phone",
    "work_phone",
    "work_ext",
    "cell_phone",
    "fax",
    "email1",
    "email2",
    "birth_date",
    "language",
    "gender",
    "allow_mail",
    "allow_phone",
    "allow_email",
    "eservice",
    "star_rating",
    "likely_to_buy",
    "labour_sales_total",
    "sold_salesperson",
    "last_sold_date",
    "reassigned_salesperson",
    "reassigned_date",
    "activity_salesperson",
    "last_activity_date",
    "last_contact_date",
    "last_change_date",
]
VEHICLE_COLUMNS = ["customer_number", "vin", "year", "make", "model", "delivery_date", "owns"]
REPAIR_ORDER_COLUMNS = ["customer_number", "ro_number", "vin", "closed_date", "labour_sale", "parts_sale"]

KNOWN_COLUMNS = {CUSTOMERS: CUSTOMER_COLUMNS, VEHICLES: VEHICLE_COLUMNS, REPAIR_ORDERS: REPAIR_ORDER_COLUMNS}
#: Without these a file cannot be loaded at all: the run fails. Other known columns may be absent (the
#: fields they feed are then left as they are, with a warning).
REQUIRED_COLUMNS = {
    CUSTOMERS: ["customer_number", "customer_type", "last_change_date"],
    VEHICLES: ["customer_number", "vin"],
    REPAIR_ORDERS: ["customer_number", "ro_number"],
}
#: Known columns an extract may leave out without a warning: added to the format later, and not every DMS carries
#: them. last_contact_date: the DMS's own last-contact date (YYYY-MM-DD; the profile's "Last contact" shows the
#: later of it and the contact history).
OPTIONAL_COLUMNS = {CUSTOMERS: frozenset({"last_contact_date"}), VEHICLES: frozenset(), REPAIR_ORDERS: frozenset()}

# --- VIN: 17 characters, North American check digit in position 9 -------------------------------------------
#: The value of each character a VIN may hold (I, O and Q never appear: they read as 1 and 0).
VIN_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
#: The weight of each position; the check digit's own position (9) weighs 0.
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_check_digit(vin: str) -> str:
    """The check digit a 17-character VIN should carry in position 9 ("0"-"9" or "X")."""
    total = sum(VIN_TRANSLIT[ch] * w for ch, w in zip(vin.upper(), VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_is_valid(vin: str) -> bool:
    """North American check digit (position 9). Letters I, O and Q never appear in a VIN."""
    vin = (vin or "").upper()
    if len(vin) != 17 or any(ch not in VIN_TRANSLIT for ch in vin):
        return False
    return vin[8] == vin_check_digit(vin)
