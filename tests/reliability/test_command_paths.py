"""Management commands never build a path from a store code (or file name) that leaves its folder.

`make_sample_extract --dealership ../../escape` used to write outside --out. Every command of the apps that takes
a store code (found by introspecting the commands' parsers, so a new one is covered by construction) refuses path
separators, `.` and `..` before touching anything; and the code that builds the paths (the sample-extract writer,
the file-drop adapter) refuses them again, for a store code that reached the database some other way.
"""

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from customers.models import Dealership, DmsAdapter
from dealermine.paths import UnsafePathComponent
from dms_sync.adapters import adapter_for
from dms_sync.adapters.base import ExtractInvalid
from dms_sync.sample_extract import ExtractSpec, extract_write

APPS = ("customers", "contacts", "dms_sync")
# Names that would leave the folder they are meant to name, or not be one name.
PATH_CODES = ["../../escape", "..", ".", "a/b", "a\\b", "/tmp/abs", "ok/../../x", "nul\x00", "a..b"]
# A command's --dealership takes store codes only (a slug), so it refuses these too.
HOSTILE_CODES = [*PATH_CODES, "~root", "x" * 33]


def _csv(tmp_path) -> str:
    path = tmp_path / "input.csv"
    path.write_text("email,bounced_at\n")
    return str(path)


# The other arguments each command needs to get as far as building its paths: everything but the store code valid.
COMMAND_ARGS = {
    "make_sample_extract": lambda tmp: ["--customers", "3", "--out", str(tmp / "out")],
    "dms_pull": lambda tmp: ["--no-progress"],
    "import_bounces": lambda tmp: [_csv(tmp)],
    "import_opt_outs": lambda tmp: [_csv(tmp)],
    "run_fake_dms": lambda tmp: ["--port", "1"],
}


def store_code_commands() -> list[str]:
    found = []
    for name, app in get_commands().items():
        if app not in APPS:
            continue
        parser = load_command_class(app, name).create_parser("manage.py", name)
        if any("--dealership" in action.option_strings for action in parser._actions):
            found.append(name)
    return sorted(found)


def test_every_command_that_takes_a_store_code_is_covered():
    commands = store_code_commands()
    assert "make_sample_extract" in commands and "dms_pull" in commands
    assert commands == sorted(COMMAND_ARGS), f"add the new command(s) to COMMAND_ARGS in {__file__}"


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.django_db
@pytest.mark.parametrize("code", HOSTILE_CODES, ids=repr)
@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_a_store_code_with_a_path_in_it_is_refused(command, code, tmp_path, settings):
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    args = COMMAND_ARGS[command](work)
    before = _tree(tmp_path)
    with pytest.raises(CommandError, match="store code"):
        call_command(command, "--dealership", code, *args)
    assert _tree(tmp_path) == before, "nothing written anywhere"


@pytest.mark.django_db
def test_a_good_store_code_still_writes_inside_out(tmp_path):
    call_command("make_sample_extract", "--dealership", "lakeside-2", "--customers", "2", "--out", str(tmp_path))
    assert (tmp_path / "lakeside-2" / "20261101" / "manifest.json").is_file()


@pytest.mark.parametrize("code", PATH_CODES, ids=repr)
def test_the_extract_writer_refuses_a_path_as_store_code(code, tmp_path):
    spec = ExtractSpec(dealership_code=code, country="US", customers=1, extract_date=date(2026, 11, 1))
    with pytest.raises(UnsafePathComponent):
        extract_write(spec=spec, out_dir=tmp_path / "out")
    assert _tree(tmp_path) == []


@pytest.mark.django_db
def test_the_file_drop_adapter_refuses_a_store_code_that_is_a_path(tmp_path, settings):
    """A code written to the database past the admin's slug check still never names a folder outside the drop."""
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    (tmp_path / "escape").mkdir()
    store = Dealership.objects.create(code="../escape", name="Bad", dms_adapter=DmsAdapter.FILE_DROP)
    adapter = adapter_for(store)
    with pytest.raises(ExtractInvalid, match="store code"):
        adapter.store_folder()
    with pytest.raises(ExtractInvalid, match="store code"):
        adapter.remove_request_path(object())
