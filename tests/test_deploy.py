import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args, env_overrides):
    env = {**os.environ, **env_overrides}
    # Browser tests in the same worker allow async-unsafe calls; a production check must never inherit that.
    for leaked in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(leaked, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings=dealermine.settings.production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_zero_warnings():
    result = _run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "crm.example.com"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _run("check", env_overrides={"SECRET_KEY": "", "ALLOWED_HOSTS": "crm.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_demo_loader_refuses_production_settings():
    result = _run(
        "load_demo",
        env_overrides={
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "crm.example.com",
            "DATABASE_URL": "sqlite:///:memory:",
        },
    )
    assert result.returncode != 0
    assert "never loaded with production settings" in result.stderr
