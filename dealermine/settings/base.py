"""Settings shared by every environment; everything deployment-specific comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer may keep overrides in .env; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",  # django-csp: the Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "bootstrap",  # Bootstrap 5 static files from the django-bootstrap-static package: no CDN.
    "customers",
    "contacts",
    "dms_sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their caching and need no policy. Clean first: every later reader
    # of GET/POST (CSRF, axes, views) sees values without NUL or lone surrogates (dealermine/middleware.py).
    "dealermine.middleware.CleanInputMiddleware",
    "dealermine.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language until the person is known; UserLanguageMiddleware then applies their saved choice.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dealermine.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login protection (dealermine/lockout.py, docs/RELIABILITY.md): 5 failed logins for one user name within 30
# minutes, from any addresses, lock that name; 20 from one address, for any names, lock that address (password
# spraying; looser, as a store's coordinators share an office address). A lock lasts until fewer failures than the
# limit remain in the last 30 minutes (a refused try while locked counts): at most 30 minutes after the last try.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Two separate counters (not one per name-and-address pair); the handler applies a limit to each.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "dealermine.lockout.UserNameAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "dealermine.lockout.client_address"
# Reverse proxies in front of gunicorn that append the client's address to X-Forwarded-For. 0: the address is
# REMOTE_ADDR. Behind a proxy, REMOTE_ADDR is the proxy's, and every user would share one address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# A success clears that user name's failures only (the handler), never those an address made against other names.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dealermine.lockout.lockout_response"  # HTTP 429, registration/locked_out.html
AXES_VERBOSE = False

ROOT_URLCONF = "dealermine.urls"
WSGI_APPLICATION = "dealermine.wsgi.application"
ASGI_APPLICATION = "dealermine.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customers.context_processors.stores",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the importer writes; the timeout rides out short writer locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# The hot page queries run as PostgreSQL prepared statements (dealermine.db.CompiledQuery). Turn this off behind
# a transaction-mode connection pooler, which does not keep a server session per client connection.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

# Idle users are logged out after 60 minutes: the cookie age is refreshed on every request.
SESSION_COOKIE_AGE = 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# English and Canadian French (docs/I18N.md). A person's language is saved on their account (customers.UserLanguage)
# and switched from the nav; before they choose, LocaleMiddleware takes it from the browser's Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr-ca", "Français")]
# One catalogue for the whole project (templates included); `make messages` updates it, `make` targets compile it.
LOCALE_PATHS = [BASE_DIR / "dealermine" / "locale"]
# Dates, times and numbers in each language's conventions (dealermine/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["dealermine.formats"]
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images only from our own static files; no
# inline script or style anywhere (tests/test_security_headers.py checks every page); nothing may frame a page.
# `data:` images are Bootstrap's CSS icons (select arrows, the close button).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}

# The email provider's bounce webhook (contacts/views/hooks.py, docs/CONTACTS.md): a request whose signed timestamp
# is further than this from our clock, either way, is refused, so a captured request cannot be replayed later.
BOUNCE_WEBHOOK_TOLERANCE_SECONDS = env.int("BOUNCE_WEBHOOK_TOLERANCE_SECONDS", default=300)

# Celery: with no broker configured tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A user's save must not hang on a dead broker: publish fails fast and the outbox sweeper delivers later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"

# --- DMS sync (dms_sync): every knob has its default here and may be set in the environment (README) -----------
# Where file-drop extracts arrive and where remove requests are written for the DMS to pick up.
DMS_DROP_ROOT = Path(env("DMS_DROP_ROOT", default=str(BASE_DIR / "var" / "dms" / "drop")))
DMS_OUTBOX_ROOT = Path(env("DMS_OUTBOX_ROOT", default=str(BASE_DIR / "var" / "dms" / "outbox")))
# Rows per page of a pull. Each page is one transaction, so a killed run keeps the pages it finished and memory
# stays bounded; bigger pages mean fewer round trips. `manage.py dms_pull --batch-size` overrides it for one run.
DMS_SYNC_BATCH_SIZE = env.int("DMS_SYNC_BATCH_SIZE", default=2000)
# A running pull with no heartbeat for this long is taken as abandoned (its process is gone, maybe on another
# host), so the next run for the store may start instead of being refused as "already running".
DMS_SYNC_STALE_SECONDS = env.int("DMS_SYNC_STALE_SECONDS", default=900)
# A file-drop extract of at least this many rows is read and hashed in a second process (both cores work),
# which is also given the store's stored row digests and leaves unchanged customer rows out; a smaller one is
# read in a thread, where starting a process would cost more than it saves. 0 = always a thread.
DMS_SYNC_READER_PROCESS_ROWS = env.int("DMS_SYNC_READER_PROCESS_ROWS", default=20_000)

# Remove-request delivery to the DMS (dms_sync.services.delivery, DESIGN §6 "Outbox delivery"). Operations and the
# Celery worker tests tune these through the environment.
# Attempts before a request is dead (shown in admin, with a retry action).
DMS_REMOVE_MAX_ATTEMPTS = env.int("DMS_REMOVE_MAX_ATTEMPTS", default=10)
# A claimed request still unanswered after this long (its worker was killed) is due again for the sweeper.
DMS_REMOVE_LEASE_SECONDS = env.float("DMS_REMOVE_LEASE_SECONDS", default=300)
# Retry backoff: base * 2^(attempts - 1), at most the max, then a random 50-100% of it (jitter).
DMS_REMOVE_BACKOFF_BASE_SECONDS = env.float("DMS_REMOVE_BACKOFF_BASE_SECONDS", default=60)
DMS_REMOVE_BACKOFF_MAX_SECONDS = env.float("DMS_REMOVE_BACKOFF_MAX_SECONDS", default=6 * 3600)
# A retry due within this many seconds rides on a Celery countdown; a later one is left to the sweeper: its next
# attempt time is stored on the row, so no long countdown waits in a worker or the broker (DESIGN §6).
DMS_REMOVE_MAX_COUNTDOWN_SECONDS = env.float("DMS_REMOVE_MAX_COUNTDOWN_SECONDS", default=180)
# How often Celery beat runs the sweeper that re-sends due requests (dealermine.schedule).
DMS_REMOVE_SWEEP_SECONDS = env.float("DMS_REMOVE_SWEEP_SECONDS", default=60)

# Limits of the HTTP API adapter (dms_sync.adapters.http_api*, docs/DMS_SYNC.md "HTTP API"): no DMS answer can
# stall a store's pull or take the worker's memory.
# Pages one pull may take from GET /customers; a DMS still sending a next page token after this many fails the
# run (its paging does not end). Default 10,000.
DMS_API_MAX_PAGES = env.int("DMS_API_MAX_PAGES", default=10_000)
# Bytes one answer's body may have (after decompression); a bigger one (announced by Content-Length or met while
# reading) is refused without reading the rest and fails the run: permanent. Default 20 MB.
DMS_API_MAX_PAGE_BYTES = env.int("DMS_API_MAX_PAGE_BYTES", default=20 * 1024 * 1024)
# Seconds one answer may take to arrive whole (the per-store `timeout` bounds each wait for data, this bounds a
# body that trickles in); a later one is abandoned and retried like a timeout. Default 300.
DMS_API_MAX_RESPONSE_SECONDS = env.float("DMS_API_MAX_RESPONSE_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
# The demo data and the fake DMS (manage.py load_demo, run_fake_dms) are allowed: their users' passwords equal
# their names. The production settings switch this off whatever the environment says.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)
