"""The generated extracts every importer loads: customers-only (for the side-by-side), and 1% changed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from dms_sync.extract_format import CUSTOMER_COLUMNS, REPAIR_ORDER_COLUMNS, VEHICLE_COLUMNS
from dms_sync.sample_extract import ExtractSpec, _sha256, extract_write

STORE = "bench-store"


def _manifest(folder: Path, files: dict, extract_date: str) -> None:
    manifest = {"dealership": STORE, "extract_date": extract_date, "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _header_only(path: Path, columns: list[str]) -> dict:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerow(columns)
    return {"rows": 0, "sha256": _sha256(path)}


def extracts_make(*, customers: int, workdir: Path) -> dict[str, Path]:
    """{"full": folder with all three files, "customers": customers.csv only (empty vehicle / RO files),
    "changed": customers only with every 100th customer's city changed}. Deterministic (seed 1)."""
    full = extract_write(spec=ExtractSpec(dealership_code=STORE, customers=customers, seed=1), out_dir=workdir / "full")
    date = json.loads((full / "manifest.json").read_text())["extract_date"]
    only = workdir / "customers" / STORE / full.name
    changed = workdir / "changed" / STORE / full.name
    for folder in (only, changed):
        folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(full / "customers.csv", only / "customers.csv")
    with (full / "customers.csv").open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        with (changed / "customers.csv").open("w", newline="", encoding="utf-8") as dst:
            writer = csv.DictWriter(dst, fieldnames=CUSTOMER_COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            rows = 0
            for i, row in enumerate(reader):
                if i % 100 == 0:
                    row["city"] = "Changedville"
                writer.writerow(row)
                rows += 1
    for folder in (only, changed):
        files = {"customers.csv": {"rows": rows, "sha256": _sha256(folder / "customers.csv")}}
        files["vehicles.csv"] = _header_only(folder / "vehicles.csv", VEHICLE_COLUMNS)
        files["repair_orders.csv"] = _header_only(folder / "repair_orders.csv", REPAIR_ORDER_COLUMNS)
        _manifest(folder, files, date)
    return {"full": full, "customers": only, "changed": changed}
