"""Tests that need a real service (PostgreSQL, Redis, Chromium) skip on a laptop and fail in CI."""

import os
import socket
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI (CI=true) but is not available.")
    pytest.skip(f"{what} is not available on this machine.")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_chromium() -> str:
    require(CHROMIUM.exists(), "Chromium at /usr/bin/chromium (run scripts/ensure-browser.sh)")
    return str(CHROMIUM)


def require_redis(url: str = "redis://127.0.0.1:6379/15") -> str:
    require(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return url
