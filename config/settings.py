"""One settings module; everything that differs between machines comes from the environment."""
import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; failing that, one generated for this installation and kept
    in var/secret_key (readable by its owner only), so no key is ever shipped in the code."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    import secrets

    path = BASE_DIR / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        draft = path.with_name(f"secret_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)  # atomic: of several processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Behind an HTTPS reverse proxy: SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto=https (the header the proxy sets
# and its value for HTTPS). Only then are the proxy's headers trusted, and cookies go over HTTPS only, with HSTS.
# Without it a client could claim HTTPS or another host by sending the headers itself.
_PROXY_SSL = env("SECURE_PROXY_SSL_HEADER")
if _PROXY_SSL:
    _header, _, _value = _PROXY_SSL.partition("=")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.strip().upper().replace("-", "_").removeprefix("HTTP_"),
                               _value.strip() or "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", bool(_PROXY_SSL))
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True  # the admin sends the CSRF token in its forms
SECURE_CONTENT_TYPE_NOSNIFF = True
# Sent with every HTML page (config/security.py): only the site's own scripts, styles, images and forms,
# never inside any frame. The admin's and the reports' pages need nothing else (charts are SVG drawn on
# the server); inline style attributes are allowed, inline scripts are not, but for the one handler
# django-import-export's export page has (its «Select all»), allowed by its hash.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-hashes' 'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'")

INSTALLED_APPS = [
    "backoffice.apps.RetailAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "django_tasks",
    "config.tasks_app.BackgroundTasksConfig",  # django_tasks_db, named in Russian
    "import_export",
    "retail",
    "offline_exchange",
    "equipment_service",
    "backoffice",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's) from the app servers themselves: no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(env("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env("DB_PREPARE_THRESHOLD", "5"):
    # Django leaves prepared statements off for poolers that cannot keep them (PgBouncer before 1.21
    # in transaction mode: set DB_PREPARE_THRESHOLD= empty there). A statement run this many times on a
    # connection is prepared and no longer planned at every run: the statement that hands out a price
    # list package spends longer being planned than being run.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = int(env("DB_PREPARE_THRESHOLD", "5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # Several cash registers write at once: wait for the lock instead of failing, take the write
    # lock when a transaction starts (a deferred one that must upgrade fails without waiting), and
    # let readers go on beside the one writer (WAL). A page cache of 64 MB (SQLite's default is 2 MB): a
    # shift of 100,000 checks writes some 400,000 rows and their indexes in one transaction, and pages
    # pushed out of a small cache are written and read again (1 s of such an upload's 5 s of writes).
    # Pages of 16 KB in a new database (an existing one keeps its own until a VACUUM): a price list's blocks
    # are rows of half a megabyte, written as chains of overflow pages; the list after a chain-wide
    # repricing writes them 8 % faster than with 4 KB pages.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA cache_size=-65536;",
    })

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
TIME_ZONE = env("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
# Dates and numbers as 1С:Розница shows them (13.07.2020 16:31:53, 1 306,84): config/formats/ru/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
USE_THOUSAND_SEPARATOR = True
# Strings Django's and the libraries' own translations lack or get wrong (django-simple-history has only ru_RU).
LOCALE_PATHS = [BASE_DIR / "locale"]
# 1C writes and reads local time without an offset; we keep wall-clock time as the store sees it.
USE_TZ = False

STATIC_URL = "static/"
# The project's own static files (the admin's CSS), beside templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start otherwise
except OSError:
    pass
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without `collectstatic` (development, tests) files are found where the apps keep them.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

LOGIN_URL = "admin:login"

# Loading a catalog file and saving one are rights of their own («Загрузка из файла», «Выгрузка в файл»).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# Catalog files are refused above these before anything loads them (see retail/services/import_limits.py).
CATALOG_IMPORT_MAX_BYTES = int(env("CATALOG_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
CATALOG_IMPORT_MAX_ROWS = int(env("CATALOG_IMPORT_MAX_ROWS", "100000"))
CATALOG_IMPORT_MAX_COLUMNS = int(env("CATALOG_IMPORT_MAX_COLUMNS", "50"))
CATALOG_IMPORT_MAX_UNCOMPRESSED_BYTES = int(env("CATALOG_IMPORT_MAX_UNCOMPRESSED_BYTES", str(100 * 1024 * 1024)))

# --- EquipmentService -------------------------------------------------------------------
# Publication names of the "base" (as on an Apache publication of 1C): /<name>/ws/EquipmentService.
EQUIPMENT_SERVICE_BASE_NAMES = env_list("EQUIPMENT_SERVICE_BASE_NAMES", "rt")
# When set, the WSDL advertises this address instead of the one the client used.
EQUIPMENT_SERVICE_PUBLIC_URL = env("EQUIPMENT_SERVICE_PUBLIC_URL")
# Largest request body the service reads (PostDocs of a long shift is the biggest).
# The SOAP view reads its own body in pieces up to this limit (413 above it); the rest of the site keeps
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB of form data; catalog files are uploads of their own).
EQUIPMENT_SERVICE_MAX_REQUEST_BYTES = int(env("EQUIPMENT_SERVICE_MAX_REQUEST_BYTES", str(50 * 1024 * 1024)))
# One upload is one transaction: above these it is refused with IsSuccess=false (send the shifts apart).
EQUIPMENT_SERVICE_MAX_SHIFTS_PER_UPLOAD = int(env("EQUIPMENT_SERVICE_MAX_SHIFTS_PER_UPLOAD", "31"))
EQUIPMENT_SERVICE_MAX_CHECKS_PER_UPLOAD = int(env("EQUIPMENT_SERVICE_MAX_CHECKS_PER_UPLOAD", "100000"))
EQUIPMENT_SERVICE_MAX_LINES_PER_UPLOAD = int(env("EQUIPMENT_SERVICE_MAX_LINES_PER_UPLOAD", "1000000"))
# Exchange journal entries older than this are purged (`journal_purge`); uploads a report refers to stay.
EXCHANGE_JOURNAL_RETENTION_DAYS = int(env("EXCHANGE_JOURNAL_RETENTION_DAYS", "180"))
# Uploaded checks (`retail.Check`) older than this are purged with the journal; the journal's retention unless set.
EXCHANGE_CHECKS_RETENTION_DAYS = int(env("EXCHANGE_CHECKS_RETENTION_DAYS", str(EXCHANGE_JOURNAL_RETENTION_DAYS)))

# How long a checked Basic login is trusted by this process without re-hashing the password.
EQUIPMENT_SERVICE_AUTH_CACHE_SECONDS = int(env("EQUIPMENT_SERVICE_AUTH_CACHE_SECONDS", "300"))

# Failed logins (service and admin) within the window after which the login from that address / the
# address is refused (see offline_exchange/services/lockout.py).
EQUIPMENT_SERVICE_LOCKOUT_PER_USER = int(env("EQUIPMENT_SERVICE_LOCKOUT_PER_USER", "10"))
EQUIPMENT_SERVICE_LOCKOUT_PER_IP = int(env("EQUIPMENT_SERVICE_LOCKOUT_PER_IP", "30"))
EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS = int(env("EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS", "900"))
# A login's failures from all addresses (but those it is known at) after which every next attempt waits a
# delay that doubles (1, 2, 4 … seconds) up to the cap: guesses spread over many addresses.
EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_FREE = int(env("EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_FREE", "10"))
EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_DELAY_CAP_SECONDS = int(
    env("EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_DELAY_CAP_SECONDS", "300"))
# A login that signed in from an address within these days is never locked out there (a store's NAT);
# failures from there only slow it down, up to this cap.
EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS = int(env("EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS", "30"))
EQUIPMENT_SERVICE_KNOWN_ADDRESS_DELAY_CAP_SECONDS = int(env("EQUIPMENT_SERVICE_KNOWN_ADDRESS_DELAY_CAP_SECONDS", "60"))

# The proxies whose X-Forwarded-For is believed: networks (CIDR) of the peers that may set it, and `unix`
# for the app server's own unix socket (only the local front server can reach it). The client is the
# right-most forwarded address that is not one of these; without the list every peer is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _entry in TRUSTED_PROXIES:
    if _entry.lower() != "unix":
        try:
            ipaddress.ip_network(_entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: «{_entry}» — не сеть (ожидается, например, "
                                       "127.0.0.1/32, 10.0.0.0/8 или unix)") from None
if env("TRUST_X_FORWARDED_FOR"):
    # The old switch believed any peer's header: a guesser could name a new address for every guess.
    raise ImproperlyConfigured("TRUST_X_FORWARDED_FOR больше не поддерживается: укажите сети своих прокси в "
                               "TRUSTED_PROXIES (например, TRUSTED_PROXIES=unix,127.0.0.1/32).")

# Price lists are built by a task worker (`manage.py db_worker`) when this is on; Prepare then
# answers at once and packages appear as they are built. Off: the build runs inside the call.
EQUIPMENT_SERVICE_BACKGROUND_BUILDS = env_bool("EQUIPMENT_SERVICE_BACKGROUND_BUILDS", False)
# A build without a sign of life for this long is declared failed (its worker died).
EQUIPMENT_SERVICE_BUILD_STALE_SECONDS = int(env("EQUIPMENT_SERVICE_BUILD_STALE_SECONDS", "300"))
# PostgreSQL: price-list blocks an app server process keeps in memory once served (see docs/scaling.md).
EQUIPMENT_SERVICE_BLOCK_MEMORY_MB = float(env("EQUIPMENT_SERVICE_BLOCK_MEMORY_MB", "64"))
EQUIPMENT_SERVICE_FEED_RETENTION_DAYS = float(env("EQUIPMENT_SERVICE_FEED_RETENTION_DAYS", "30"))
TASKS = {
    "default": {
        # The database backend is the embedded default; TASKS_BACKEND selects another one, e.g.
        # django_tasks_rq.RQBackend (see docs/scaling.md).
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    },
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    # The documented alternative: jobs in Redis, run by `manage.py rqworker --job-class django_tasks_rq.Job`.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env("REDIS_URL", "redis://127.0.0.1:6379/0")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # spyne logs whole requests (passwords of envelopes, entire documents) at DEBUG/INFO, and every
        # fault with a traceback at ERROR: a stranger's bad envelope would fill the log. The view logs each
        # client fault on one line at WARNING itself; spyne's own failures still reach CRITICAL.
        "spyne": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "spyne.application": {"level": "CRITICAL"},
        "spyne.server": {"level": "CRITICAL"},
        "equipment_service": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        "offline_exchange": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    },
}
