"""The file drop's manifest, and every file checked against it before the sync reads a row.

A run validates the whole extract before touching anything (DESIGN §6): `manifest.json` must be for this store
and have an extract date; every file it lists must be present, with the sha256 and row count it states, and a
header holding the required columns. A truncated or changed extract therefore fails the run and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..extract_format import FILE_ORDER, MANIFEST, REQUIRED_FILES
from .base import ExtractInvalid
from .file_drop_csv import CsvFile


@dataclass(frozen=True)
class Manifest:
    folder: Path
    extract_date: date
    #: The manifest's "files" object: file name -> {"rows": N, "sha256": hex}, as written by the DMS.
    entries: dict

    def listed_files(self) -> list[str]:
        """The files the manifest lists, in load order."""
        return [name for name in FILE_ORDER if name in self.entries]


def manifest_read(folder: Path, *, dealership_code: str) -> Manifest:
    """The manifest of the extract in `folder`, checked for shape, store and date; else ExtractInvalid."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ExtractInvalid(f"No {MANIFEST} in {folder}.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
        files = manifest["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise ExtractInvalid(f"{MANIFEST} is not a valid manifest: {exc}") from None
    if str(manifest.get("dealership", "")).lower() != dealership_code.lower():
        raise ExtractInvalid(f"{MANIFEST} is for store {manifest.get('dealership')!r}, not {dealership_code!r}.")
    try:
        extract_date = date.fromisoformat(str(manifest.get("extract_date", "")))
    except ValueError:
        raise ExtractInvalid(f"{MANIFEST} has no valid extract_date ({manifest.get('extract_date')!r}).") from None
    for name in REQUIRED_FILES:
        if name not in files:
            raise ExtractInvalid(f"{MANIFEST} does not list {name}.")
    return Manifest(folder=folder, extract_date=extract_date, entries=files)


def extract_file_check(manifest: Manifest, name: str) -> tuple[CsvFile, int]:
    """The listed file `name` with its header read, and its row count, once the file is present and its header,
    sha256 and row count agree with the manifest; else ExtractInvalid."""
    path = manifest.folder / name
    if not path.is_file():
        raise ExtractInvalid(f"{name} is listed in {MANIFEST} but missing from {manifest.folder}.")
    csv_file = CsvFile(path)
    csv_file.read_header()
    entry = manifest.entries[name]
    try:
        expected_rows, expected_sha = int(entry["rows"]), str(entry["sha256"]).lower()
    except (KeyError, TypeError, ValueError):
        raise ExtractInvalid(f"{MANIFEST} entry for {name} needs rows and sha256.") from None
    rows, sha = csv_file.count_and_hash()
    if sha != expected_sha:
        raise ExtractInvalid(
            f"{name}: sha256 {sha[:12]}... does not match the manifest ({expected_sha[:12]}...): "
            "the file is truncated or was changed after the extract."
        )
    if rows != expected_rows:
        raise ExtractInvalid(f"{name}: {rows} rows, the manifest says {expected_rows}.")
    return csv_file, rows


def column_warnings(csv_file: CsvFile) -> list[str]:
    """What the run notes about a loadable file's header: columns it ignores, fields it leaves as they are."""
    warnings = []
    if csv_file.unknown_columns:
        warnings.append(f"{csv_file.name}: unknown column(s) ignored: {', '.join(csv_file.unknown_columns)}.")
    if csv_file.missing_columns:
        warnings.append(
            f"{csv_file.name}: column(s) absent, those fields were left as they are: "
            f"{', '.join(csv_file.missing_columns)}."
        )
    return warnings
