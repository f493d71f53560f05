"""Settings, all from the environment, failing closed.

Production needs SECRET_KEY and ALLOWED_HOSTS; DEBUG and the built-in secret exist only under
the dev profile (DJANGO_DEV=1, set by `make run` and `make test`). With nothing else set, the
app runs on SQLite and Celery's filesystem transport under var/, so a newcomer installs nothing.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from .env import check_task_timing, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Relative paths are taken from the project folder, so tests can use var/test.
VAR_DIR = BASE_DIR / env_str("VAR_DIR", "var")

DEV = env_bool("DJANGO_DEV", False)
DEBUG = env_bool("DEBUG", False)
if DEBUG and not DEV:
    raise ImproperlyConfigured("DEBUG=1 is only allowed with the dev profile (DJANGO_DEV=1).")

# Set by manage.py for `evaluate` and `make_template` only: they serve no requests and sign
# nothing, so a state analyst can run them on any machine without the production secrets.
OFFLINE = env_bool("DJANGO_OFFLINE_COMMAND", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEV:
        SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105  # nosec B105 # dev profile only
    elif OFFLINE:
        SECRET_KEY = secrets.token_urlsafe(50)  # per process: nothing it signs outlives the command
    else:
        raise ImproperlyConfigured("SECRET_KEY is required (or set DJANGO_DEV=1 on a development machine).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEV else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "config",  # the worker heartbeat table
    "districts",
    "accounts",
    "compliance",
    "api",  # tokens of the JSON API under /api/v1/
    "planner",  # the what-if planner
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their long cache; every dynamic response gets no-store.
    "config.middleware.NoStoreMiddleware",
    # An unknown /api/ path or method answers in the API's JSON error shape, not an HTML page.
    "api.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.account_menu",
            ],
        },
    },
]

if not (DEV or OFFLINE):
    # A production web server or worker must name its database and broker: the embedded
    # defaults would silently split web and workers across hosts.
    for _name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        if not env_str(_name):
            raise ImproperlyConfigured(f"{_name} is required outside the dev profile (DJANGO_DEV=1).")

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database costs a request a couple of seconds, not the OS's minutes-long TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 2))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so a real worker process can share the test database.
    # One file per test process, so two test runs in one checkout never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # The web server and the worker write to one file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "districts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Idle expiry: the cookie's age restarts with every request, so 30 minutes of inactivity signs out.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True

# Second factor (django-otp TOTP): optional for state staff; required for state administrators
# when the state turns it on.
REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Equity compliance checker")

# django-axes: lock an account+address pair after repeated failures, so a stranger elsewhere
# cannot lock a user out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 8)
# Days an API token lasts (POST /api/v1/token); its user or an administrator can revoke it sooner.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The client's address behind reverse proxies: each proxy appends the address it saw to
# X-Forwarded-For, so with N trusted proxies the client is the N-th entry from the right (the
# entries left of it are whatever the client sent). python-ipware counts only the proxies named
# in the header, i.e. all but the last one, which is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0)
AXES_IPWARE_PROXY_ORDER = "left-most"  # X-Forwarded-For as written by nginx, HAProxy and cloud balancers
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
# Not strict: a client that prepends its own entries still gets its real (proxy-appended) address,
# instead of the header being dropped and everyone sharing the proxy's address.
IPWARE_STRICT = False
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(env_list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"],
))

# E-mail (password reset). The dev profile prints messages on the console.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEV
                        else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # an SMTP server that hangs must not hold a web worker
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# The address e-mails link to. Production: the public https origin; else the first allowed host.
_DEFAULT_SITE_URL = f"https://{ALLOWED_HOSTS[0]}" if ALLOWED_HOSTS else ""
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEV else _DEFAULT_SITE_URL)
if env_str("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if DEV:
    STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns when it is missing; collectstatic fills it in production
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEV  # serve static files straight from the apps in development
MEDIA_ROOT = BASE_DIR / env_str("MEDIA_ROOT", str(VAR_DIR / "media"))

# Uploaded workbooks and reports. Default: local files under var/; production may name any
# Django storage backend (e.g. storages.backends.s3.S3Storage) and pass its options as env.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(MEDIA_ROOT)}
        if env_str("FILE_STORAGE_BACKEND") is None
        else {},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEV
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
S3_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
if STORAGES["default"]["BACKEND"] == S3_STORAGE_BACKEND:
    # Web and worker processes on several hosts share one bucket (MinIO, Ceph or AWS S3). The
    # bucket stays private: files reach users only through the app's permission-checked views.
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("AWS_STORAGE_BUCKET_NAME is required with the S3 storage backend.")
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),  # unset: AWS itself
        "region_name": env_str("AWS_S3_REGION_NAME"),
        "access_key": env_str("AWS_ACCESS_KEY_ID"),  # unset: boto3's own chain (instance role, ~/.aws)
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY"),
        "location": env_str("AWS_LOCATION", ""),
        "default_acl": None,
        "querystring_auth": True,
        # A stored name is never reused for other bytes: a second save under it gets a new name.
        "file_overwrite": False,
    }

# Celery. Default broker: the filesystem transport under var/celery (no Redis needed).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
# Task limits and the broker's redelivery: the visibility timeout (after which Redis hands an
# unacknowledged message to another worker) must exceed the hard limit, or a task still running
# would be delivered twice. A dead worker's evaluation is taken over sooner through its claim
# lease (EVALUATION_LEASE_SECONDS, renewed while the evaluation runs); the visibility timeout is
# the backstop for everything else.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 840)
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 960)
EVALUATION_LEASE_SECONDS = env_int("EVALUATION_LEASE_SECONDS", 60)
check_task_timing(soft=CELERY_TASK_SOFT_TIME_LIMIT, hard=CELERY_TASK_TIME_LIMIT,
                  visibility=CELERY_BROKER_VISIBILITY_TIMEOUT, lease=EVALUATION_LEASE_SECONDS)
# The pipeline sweeper (compliance.sweep_pipeline, sent by `celery beat` every SWEEP_INTERVAL_SECONDS)
# sends again the evaluation of a submission still queued SWEEP_QUEUED_AFTER_SECONDS after its last
# dispatch (a lost message, a broker that was down) or whose claim lease ran out (a dead worker),
# and every missing report SWEEP_REPORT_AFTER_SECONDS after its last dispatch. A dead worker's
# evaluation thus resumes within lease + interval (75 s by default). After
# EVALUATION_MAX_ATTEMPTS claims that all died, the submission is failed instead.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 15)
# A submission page's status request waits up to this long for the check or the report to end
# (so the page learns at once); 0: the page asks every 2 s instead.
STATUS_WAIT_SECONDS = env_int("STATUS_WAIT_SECONDS", 10)
SWEEP_QUEUED_AFTER_SECONDS = env_int("SWEEP_QUEUED_AFTER_SECONDS", 60)
SWEEP_REPORT_AFTER_SECONDS = env_int("SWEEP_REPORT_AFTER_SECONDS", 300)
EVALUATION_MAX_ATTEMPTS = env_int("EVALUATION_MAX_ATTEMPTS", 3)
# A report whose render failed this many times (an error, or a worker that died) is not sent again
# by the sweep: it waits for an administrator (admin action "Make the missing reports again").
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3)
# E-mail (compliance.notifications): each message is an outbox row, sent again by the sweep
# SWEEP_QUEUED_AFTER_SECONDS after its last send while unsent; after a failed attempt it waits
# 30 s, doubling to 10 min; after NOTIFICATION_MAX_ATTEMPTS it is failed and waits for an
# administrator. A send holds its row for NOTIFICATION_LEASE_SECONDS, so a duplicate delivery
# sends nothing; it must outlast an SMTP conversation (several EMAIL_TIMEOUTs).
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 120)
CELERY_BEAT_SCHEDULE = {
    "sweep-pipeline": {
        "task": "compliance.sweep_pipeline",
        "schedule": SWEEP_INTERVAL_SECONDS,
        # Sweeps sent while no worker runs are dropped, not piled up: the next one does the same work.
        "options": {"expires": SWEEP_INTERVAL_SECONDS},
    },
    # Deadline reminders (issue 11): hourly is enough for day thresholds; a DeadlineReminder row
    # per district, cycle and threshold makes every later run that day send nothing.
    "deadline-reminders": {
        "task": "compliance.send_deadline_reminders",
        "schedule": env_int("REMINDER_INTERVAL_SECONDS", 3600),
        "options": {"expires": 600},
    },
}
# Two queues, so a burst of reports never delays validation: evaluations (and sweeps) on the default
# "evaluation" queue, PDFs on "reports". A worker started without -Q consumes both.
CELERY_TASK_DEFAULT_QUEUE = "evaluation"
CELERY_TASK_QUEUES = (Queue("evaluation"), Queue("reports"))
# E-mail goes with the reports: a slow mail server never delays validation.
CELERY_TASK_ROUTES = {"compliance.render_report": {"queue": "reports"},
                      "compliance.send_notification": {"queue": "reports"},
                      "compliance.send_deadline_reminders": {"queue": "reports"}}
# Broker calls made inside a request (publishing a task, /healthz) give up within a few seconds
# when Redis is down or hung, instead of holding a web worker.
BROKER_SOCKET_TIMEOUT_SECONDS = env_int("BROKER_SOCKET_TIMEOUT_SECONDS", 2)
# Tasks are sent from one background thread per process (compliance.services.sweeper.task_send):
# a caller waits for its send at most BROKER_SEND_WAIT_MS, and after a failed send the process
# leaves sends to the pipeline sweep for BROKER_BACKOFF_SECONDS, so a hung Redis costs a request
# half a second, not a socket timeout per send.
BROKER_SEND_WAIT_MS = env_int("BROKER_SEND_WAIT_MS", 500)
BROKER_SEND_IN_BACKGROUND = env_bool("BROKER_SEND_IN_BACKGROUND", True)  # off: sends hold the caller
BROKER_BACKOFF_SECONDS = env_int("BROKER_BACKOFF_SECONDS", 5)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
        "health_check_interval": 10,  # a dead connection is noticed within seconds while idle
    }
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT_SECONDS
# One quick retry when publishing (a pooled connection that a Redis restart cut), then the error
# reaches the sending thread (default: 3 retries); the request has stopped waiting by then.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A worker keeps reconnecting through a broker outage of any length (default: gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running when the connection drops finishes; its message comes back and the duplicate
# delivery does nothing (the claim is atomic), which wastes less than cancelling the task.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task gives the message back
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# /healthz: a worker that has not written its heartbeat within this long counts as gone.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
HEALTHZ_WORKER_STALE_SECONDS = env_int("HEALTHZ_WORKER_STALE_SECONDS", 180)

# Workbook intake limits (issue 3). Defaults from the state's policy; each can be tightened.
WORKBOOK_MAX_UPLOAD_BYTES = env_int("WORKBOOK_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
WORKBOOK_MAX_UNCOMPRESSED_BYTES = env_int("WORKBOOK_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
WORKBOOK_MAX_COMPRESSION_RATIO = env_int("WORKBOOK_MAX_COMPRESSION_RATIO", 100)
WORKBOOK_MAX_ENTRIES = env_int("WORKBOOK_MAX_ENTRIES", 1000)
WORKBOOK_MAX_SCHOOL_ROWS = env_int("WORKBOOK_MAX_SCHOOL_ROWS", 20000)
WORKBOOK_PARSE_TIMEOUT_SECONDS = env_int("WORKBOOK_PARSE_TIMEOUT_SECONDS", 60)
WORKBOOK_PARSE_MEMORY_BYTES = env_int("WORKBOOK_PARSE_MEMORY_BYTES", 1024 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "compliance.uploads.SizeLimitUploadHandler",  # refuses an oversized body before spooling it
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Security headers: strict by default; HTTPS-only cookies outside the dev profile.
SESSION_COOKIE_SECURE = not DEV
CSRF_COOKIE_SECURE = not DEV
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
