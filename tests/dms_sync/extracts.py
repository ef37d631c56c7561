"""Hand-made extracts for robustness tests: exact bytes in, manifest computed from them."""

import csv
import hashlib
import io
import json
from pathlib import Path

from customers.models import Customer
from dms_sync.extract_format import CUSTOMER_COLUMNS, VEHICLE_COLUMNS


def customer_row(number: str, **values) -> dict:
    row = dict.fromkeys(CUSTOMER_COLUMNS, "")
    row.update(
        customer_number=number,
        customer_type="P",
        first_name="Ann",
        last_name="Smith",
        country="US",
        postal_code="48226",
        cell_phone="(313) 555-0142",
        email1=f"ann{number}@mail.example.com",
        allow_mail="Y",
        allow_phone="Y",
        allow_email="Y",
        last_change_date="2026-10-01",
    )
    row.update(values)
    return row


def csv_bytes(columns, rows, *, lineterminator="\r\n", bom=False, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator=lineterminator)
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_raw_extract(
    root: Path,
    code: str,
    *,
    customers: bytes,
    vehicles: bytes | None = None,
    repair_orders: bytes | None = None,
    customer_rows: int,
    vehicle_rows: int = 0,
    repair_order_rows: int = 0,
    day: str = "20261101",
    manifest_overrides: dict | None = None,
) -> Path:
    folder = Path(root) / code / day
    folder.mkdir(parents=True, exist_ok=True)
    vehicles = vehicles if vehicles is not None else csv_bytes(VEHICLE_COLUMNS, [])
    files = {}
    written = [("customers.csv", customers, customer_rows), ("vehicles.csv", vehicles, vehicle_rows)]
    if repair_orders is not None:
        written.append(("repair_orders.csv", repair_orders, repair_order_rows))
    for name, data, rows in written:
        (folder / name).write_bytes(data)
        files[name] = {"rows": rows, "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"dealership": code, "extract_date": f"{day[:4]}-{day[4:6]}-{day[6:]}", "files": files}
    manifest.update(manifest_overrides or {})
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


CHECKSUM_FIELDS = [
    f.name
    for f in Customer._meta.concrete_fields
    if f.name not in {"id", "dealership", "created_at", "updated_at", "merge_parent", "entered_by", "inactivated_by"}
]


def customer_checksum(dealership) -> str:
    """sha256 over every customer row of a store (ids and timestamps left out), vehicles and ROs included."""
    digest = hashlib.sha256()
    for row in Customer.objects.filter(dealership=dealership).order_by("dms_number").values_list(*CHECKSUM_FIELDS):
        digest.update(repr(row).encode())
    for row in (
        Customer.objects.filter(dealership=dealership)
        .order_by("dms_number", "vehicles__vin")
        .values_list("dms_number", "vehicles__vin", "vehicles__year", "vehicles__owns", "vehicles__dms_row_hash")
    ):
        digest.update(repr(row).encode())
    for row in (
        Customer.objects.filter(dealership=dealership)
        .order_by("dms_number", "repair_orders__ro_number")
        .values_list("dms_number", "repair_orders__ro_number", "repair_orders__labour_sale")
    ):
        digest.update(repr(row).encode())
    for row in (
        Customer.objects.filter(dealership=dealership)
        .order_by("dms_number", "contact_methods__method")
        .values_list("dms_number", "contact_methods__method", "contact_methods__is_on")
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()
