"""Names from outside that become part of a file path: a store code, a file name.

`<out>/<CODE>/<YYYYMMDD>/` with `--dealership ../../escape` used to write outside `--out`. A name becomes one path
component only when it holds no path separator (`/`, `\\`), is not `.` or `..` (and holds no `..` at all), and has
no NUL or other control character; everything that builds a path from such a name checks it here first.
"""

import argparse
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A store code is a slug (Dealership.code is a SlugField): letters, digits, "-" and "_".
_STORE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class UnsafePathComponent(ValueError):
    """A name that would not stay one folder or file name inside its parent folder."""


def path_component(value: str, *, what: str = "name") -> str:
    """`value` if it is safe as a single path component; else UnsafePathComponent."""
    if not value or value.strip() in {"", ".", ".."} or ".." in value:
        raise UnsafePathComponent(f"{what} {value!r} cannot name a folder or file (empty, '.' or '..').")
    if "/" in value or "\\" in value or _CONTROL.search(value):
        raise UnsafePathComponent(
            f"{what} {value!r} cannot name a folder or file: it holds a path separator or a control character."
        )
    return value


def store_code_argument(value: str) -> str:
    """argparse `type=` for a command's `--dealership CODE`: a store code, never a path."""
    try:
        path_component(value, what="store code")
    except UnsafePathComponent as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not _STORE_CODE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"store code {value!r} is not a store code (letters, digits, '-' and '_', at most 32)."
        )
    return value
