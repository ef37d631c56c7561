"""The French catalogue (dealermine/locale/fr_CA/LC_MESSAGES/django.po): extract, check, update, compile.

    python scripts/messages.py check              every string marked in the source has a French translation
    python scripts/messages.py missing [PATH ...] the entries still to translate (as .po text), optionally only
                                                  those used in the given files or folders
    python scripts/messages.py update [FRAGMENT.po ...]
                                                  the catalogue re-extracted from the source, translations kept,
                                                  new ones taken from the fragments; strings gone are dropped
    python scripts/messages.py compile            django.po -> django.mo (`make` runs this before run and test)

Extraction is Django's makemessages, run on a copy of the source in a temporary folder: the catalogue in the repo
is never half-written by it, and makemessages' work files (a `.py` beside each template) never appear in the
tree while tests or other runs read it. GNU gettext (xgettext) must be installed: `scripts/ensure-gettext.sh`.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "dealermine" / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
# What a person reads comes from these; tests, bench and scripts are for developers.
SOURCES = ["customers", "contacts", "dms_sync", "dealermine", "templates"]
LOCALE = "fr_CA"


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def is_translated(entry: polib.POEntry) -> bool:
    if entry.obsolete or "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def extract() -> polib.POFile:
    """Every marked string of the source, with the files using it, straight from makemessages."""
    with tempfile.TemporaryDirectory(prefix="messages-") as tmp:
        copy = Path(tmp)
        ignore = shutil.ignore_patterns("locale", "__pycache__", "migrations", "*.pyc")
        for name in SOURCES:
            shutil.copytree(ROOT / name, copy / name, ignore=ignore)
        (copy / "dealermine" / "locale").mkdir()
        # Bare settings: extraction reads the files as text and needs none of the project's apps to import.
        (copy / "messages_settings.py").write_text(
            f"USE_I18N = True\nSECRET_KEY = 'extract'\nLOCALE_PATHS = [{str(copy / 'dealermine' / 'locale')!r}]\n"
        )
        env = {**os.environ, "PYTHONPATH": str(copy), "DJANGO_SETTINGS_MODULE": "messages_settings"}
        run = subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", LOCALE, "--add-location=file", "--no-wrap"],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"makemessages failed:\n{run.stdout}\n{run.stderr}")
        return polib.pofile(str(copy / "dealermine" / "locale" / LOCALE / "LC_MESSAGES" / "django.po"), wrapwidth=0)


def catalogue() -> polib.POFile:
    if CATALOGUE.exists():
        return polib.pofile(str(CATALOGUE), wrapwidth=0)
    return polib.POFile(wrapwidth=0)


def untranslated(source: polib.POFile, known: polib.POFile) -> list[polib.POEntry]:
    translated = {key(e) for e in known if is_translated(e)}
    return [e for e in source if key(e) not in translated]


def used_in(entry: polib.POEntry, paths: list[str]) -> bool:
    return any(file == p or file.startswith(p.rstrip("/") + "/") for file, _line in entry.occurrences for p in paths)


def cmd_check() -> int:
    missing = untranslated(extract(), catalogue())
    for entry in missing:
        where = ", ".join(sorted({file for file, _ in entry.occurrences}))
        print(
            f"not translated: {entry.msgid!r}"
            + (f" (context {entry.msgctxt!r})" if entry.msgctxt else "")
            + f" in {where}"
        )
    if missing:
        print(
            f"{len(missing)} strings have no French translation: translate them in {CATALOGUE.relative_to(ROOT)} "
            "(`python scripts/messages.py update` adds them)"
        )
        return 1
    print("French catalogue complete.")
    return 0


METADATA = {
    "Project-Id-Version": "DealerMine Customer Profile",
    "Language": "fr_CA",
    "Language-Team": "French (Canada)",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n > 1);",
}


def cmd_missing(paths: list[str]) -> int:
    out = polib.POFile(wrapwidth=0)
    out.metadata = dict(METADATA)
    for entry in untranslated(extract(), catalogue()):
        if not paths or used_in(entry, paths):
            out.append(entry)
    print(str(out))
    return 0


def cmd_update(fragments: list[str]) -> int:
    fresh = extract()
    known = {key(e): e for e in catalogue() if is_translated(e)}
    for fragment in fragments:
        for e in polib.pofile(fragment, wrapwidth=0):
            if is_translated(e):
                known.setdefault(key(e), e)
    kept = 0
    for entry in fresh:
        old = known.get(key(entry))
        if old is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = dict(old.msgstr_plural) if old.msgstr_plural else {0: old.msgstr, 1: old.msgstr}
        else:
            entry.msgstr = old.msgstr if old.msgstr else old.msgstr_plural.get(0, "")
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
        kept += 1
    fresh.metadata.update(METADATA)
    fresh.header = "French (Canada) catalogue of DealerMine Customer Profile. Updated by scripts/messages.py."
    fresh.sort(key=lambda e: (e.occurrences[0][0] if e.occurrences else "", e.msgid))
    CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    fresh.save(str(CATALOGUE))
    print(f"{CATALOGUE.relative_to(ROOT)}: {len(fresh)} strings, {kept} translated, {len(fresh) - kept} to translate")
    return 0


def cmd_compile() -> int:
    catalogue().save_as_mofile(str(CATALOGUE.with_suffix(".mo")))
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"check", "missing", "update", "compile"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "check":
        return cmd_check()
    if command == "missing":
        return cmd_missing(rest)
    if command == "update":
        return cmd_update(rest)
    return cmd_compile()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
