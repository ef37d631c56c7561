"""Bench-only settings: the production settings plus a URLconf with the floor view (/bench/floor/).

Never used by the application; `bench/pages.py` serves it with gunicorn. Needs SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL in the environment like production does (the harness sets them).
"""

from dealermine.settings.production import *  # noqa: F401,F403
from dealermine.settings.production import env

ROOT_URLCONF = "bench.urls"

# collectstatic target of the bench run (the manifest storage needs one); never the project's staticfiles/.
STATIC_ROOT = env("BENCH_STATIC_ROOT", default=str(BASE_DIR / "var" / "bench-static"))  # noqa: F405
