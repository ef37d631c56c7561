"""The structure the import-linter contracts and docs/ARCHITECTURE.md promise, checked where a linter can't."""

import configparser
import os
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APPS = ("customers", "contacts", "dms_sync")
#: Modules that are data, not logic (a list of names to draw sample customers from).
DATA_MODULES = {"dms_sync/sample_data.py"}
MAX_LINES = 420
#: Process plumbing, not knobs: the reading process is started with the parent's environment (and its
#: DJANGO_SETTINGS_MODULE) so it sets Django up the same way.
ENVIRONMENT_PLUMBING = {"dms_sync/readahead.py"}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts:
            continue
        yield rel


def _layer_modules() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    names = []
    for line in config["importlinter:contract:apps"]["layers"].strip().splitlines():
        names += [n.strip() for n in re.split(r"[:|]", line) if n.strip()]
    return names


def test_every_customers_module_sits_in_one_layer():
    """customers is split between the bottom (core) and top (screens) layers by listing its modules; a new module
    must be placed in one of them, or the contract would silently not check it."""
    layers = _layer_modules()
    unplaced = []
    for rel in _modules("customers"):
        dotted = ".".join(rel.with_suffix("").parts)
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
            if dotted == "customers" or any(name.startswith(dotted + ".") for name in layers):
                continue  # a package whose modules are placed one by one
        if not any(dotted == name or dotted.startswith(name + ".") for name in layers):
            unplaced.append(dotted)
    assert unplaced == []


@pytest.mark.parametrize("app", APPS)
def test_modules_read_in_one_sitting(app):
    too_long = {
        str(rel): n
        for rel in _modules(app)
        if str(rel) not in DATA_MODULES and (n := len((ROOT / rel).read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}


@pytest.mark.parametrize("app", APPS)
def test_settings_are_read_from_django_settings_only(app):
    """Every knob is declared in dealermine/settings with its default; apps never read the environment."""
    readers = [
        str(rel)
        for rel in _modules(app)
        if str(rel) not in ENVIRONMENT_PLUMBING
        and re.search(r"os\.environ|os\.getenv|getattr\(settings,", (ROOT / rel).read_text())
    ]
    assert readers == []


def test_knobs_are_declared():
    for name in ("DMS_SYNC_BATCH_SIZE", "DMS_SYNC_STALE_SECONDS"):
        assert hasattr(settings, name), name
    assert os.environ.get("DJANGO_SETTINGS_MODULE")


def test_the_customer_indexes_cover_the_registrys_phone_and_email_fields():
    """The model declares its indexes before the registry can be imported (the registry reads the model's
    choices), so it names the columns itself; this keeps the two from drifting."""
    from customers.fields import EMAIL_FIELDS, PHONE_FIELDS
    from customers.models import Customer

    indexed = {index.name for index in Customer._meta.indexes}
    assert {f"customer_{name}_idx" for name in PHONE_FIELDS} <= indexed
    assert {f"customer_{name}_lower_idx" for name in EMAIL_FIELDS} <= indexed
