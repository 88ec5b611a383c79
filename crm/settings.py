"""One settings module for every environment, driven by environment variables.

Defaults are for a developer laptop: SQLite, a filesystem Celery broker, console email.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; a missing
or malformed value fails loudly at start-up rather than running with a silent default.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of a local run (SQLite file, filesystem broker, mail files); git-ignored.
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "crm",
    "customers",
    "orders",
    "campaigns",
    "surveys",
    "metrics",
    "analytics",
    "dataio",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see Security below).
    "csp.middleware.CSPMiddleware",
    "core.headers.permissions_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL in a query string, a chunked body: 400/411 before any view reads them.
    "core.middleware.reject_malformed_requests",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's chosen language (their profile) over the browser's (crm/languages.py).
    "crm.languages.user_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "crm.context_processors.roles",
            ],
            # core is not an app: its template libraries are named here.
            "libraries": {
                "people": "core.people",
                "formatting": "core.formatting",
                "listing": "core.listing",
            },
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a real Celery worker process in the tests can see the data; one
    # per test run, so two runs in one checkout never write into each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_DB_NAME", default=str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3"))
    }
    # A transaction that read first and then writes cannot wait for another process's write
    # ("database is locked" at once): every transaction takes the write lock when it begins,
    # so a worker and the web process queue for up to ``timeout`` seconds instead.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: it pays off for long analytical queries, and every query here is
    # short or runs in a session that turns it off anyway. PostgreSQL compiles any query it
    # merely estimates costly, tens of ms a time: a customer list page that found no rows
    # spent 37 of its 147 ms compiling (issue 14).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Authenticates no one: reads a user's permissions in one query, not ModelBackend's two
    # (core/auth.py); ModelBackend checks passwords and is the backend sessions name.
    "core.auth.PermissionsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "analytics:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Lock a username from one address after repeated failures, for a while: an IP-only lock
# would let one fuzzer or one mistyping colleague lock out the whole office.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- I18N -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# One date and number format per language (crm/formats): ISO dates, thousands grouped by three.
# Thousands separators come from the filters that ask for them (intcomma, floatformat:"2g", money),
# not USE_THOUSAND_SEPARATOR: that would also group ids and amounts printed into HTML attributes
# and hidden inputs ("task-1,234", value="1,234.50"), which break at 1,000.
FORMAT_MODULE_PATH = ["crm.formats"]

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Email ----------------------------------------------------------------------------
# In development (DEBUG, no EMAIL_BACKEND) each message is a file under EMAIL_FILE_PATH
# (var/mail/), kept across restarts: the survey emails' links are there to follow. Without
# DEBUG the default is the console; production names its backend (SMTP).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="crm@localhost")

# --- Security (production) ------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Scripts, styles, fonts and fetches from our own origin only: no inline script, no inline
# style element or attribute, no eval (htmx runs with allowEval off, base.html). Charts and bars
# are sized by SVG attributes, not style="" (docs/decisions.md). The API's Swagger UI page
# relaxes styles for itself alone (api/views/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
    }
}
# Browser features no page of ours uses, switched off for us and anything we might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds to wait for a connection to Redis (broker, results, cache), and for its answer
# (broker, cache): it answers in well under a millisecond on a local network, and a web
# request must not wait long for a Redis that is down or frozen (bench/faults.py).
REDIS_CONNECT_TIMEOUT = 0.3
REDIS_SOCKET_TIMEOUT = 0.5
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis hands a dead worker's unacknowledged message to another worker only after
        # this long. It must exceed the longest task and countdown, or they run twice at
        # once; prompt recovery comes from the work leases below, not from it.
        "visibility_timeout": 3600,
        # Fail fast when Redis is unreachable (a web request must not wait for it), and
        # never wait forever on a connection Redis dropped without closing it.
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = 5
else:
    # No server needed: a real worker process exchanges messages through files.
    _broker_dir = VAR_DIR / "celery" / "broker"
    _results_dir = VAR_DIR / "celery" / "results"
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport, writing each message atomically (see crm/broker.py).
    CELERY_BROKER_TRANSPORT = "crm.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
    CELERY_RESULT_BACKEND = f"file://{_results_dir}"
    for _folder in (_broker_dir, _results_dir):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A killed worker's task is re-run, not lost: see ../shared/notes/stack-facts.md.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task sent while the broker is down fails within about a second (core/queue.py logs it;
# the work is in the database and a sweep finds it again), instead of retrying for long.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Work a worker holds (a full run's steps, a survey's sending) is leased: the worker renews
# the lease every third of WORK_LEASE_SECONDS, and the recovery sweeps, every
# RECOVERY_SWEEP_SECONDS, give work whose lease ran out to another worker. A killed or
# frozen worker's work so resumes within about lease + sweep (docs/architecture.md).
WORK_LEASE_SECONDS = env.float("WORK_LEASE_SECONDS", default=30.0)
RECOVERY_SWEEP_SECONDS = env.float("RECOVERY_SWEEP_SECONDS", default=15.0)
# A full run's reading, fits and scoring spread over the workers as a map, a reduce and a
# map (metrics/services.py, "Full runs split over workers"), not prepared in one process.
METRICS_SCALE_OUT = env.bool("METRICS_SCALE_OUT", default=False)
# A sweep still queued when the next one is due is dropped (workers were away).
_SWEEP = {"schedule": RECOVERY_SWEEP_SECONDS, "options": {"expires": RECOVERY_SWEEP_SECONDS}}
# Queues, so that slow work never waits behind other work nor holds it up: a slow webhook
# receiver must not delay scores. Scoring (and everything not listed) stays on "celery";
# production runs a worker per queue (docs/architecture.md, Queues). The tests' workers
# set CELERY_QUEUE_PREFIX to keep their queues apart.
CELERY_QUEUE_PREFIX = env("CELERY_QUEUE_PREFIX", default="")
CELERY_TASK_ROUTES = {
    name: {"queue": CELERY_QUEUE_PREFIX + queue}
    for name, queue in {
        "api.tasks.dispatch_events": "webhooks",
        "api.tasks.deliver_webhook": "webhooks",
        "api.tasks.webhooks_dispatch_due": "webhooks",
        "api.tasks.bulk_job_run": "imports",
        "dataio.tasks.*": "imports",
        "surveys.tasks.*": "surveys",
    }.items()
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "task-reminders": {
        "task": "customers.tasks.send_task_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "metrics-nightly-full-run": {
        "task": "metrics.tasks.nightly_full_run",
        "schedule": crontab(hour=2, minute=0),
    },
    "metrics-dirty-sweep": {"task": "metrics.tasks.recalculate_dirty", "schedule": 60.0},
    "metrics-thin-history": {
        "task": "metrics.tasks.thin_score_history",
        "schedule": crontab(hour=3, minute=30),
    },
    "metrics-resume-stalled": {"task": "metrics.tasks.resume_stalled_runs", **_SWEEP},
    "surveys-resume-sends": {"task": "surveys.tasks.resume_sends", **_SWEEP},
    "surveys-sweep": {
        "task": "surveys.tasks.sweep",
        "schedule": crontab(minute="*/15"),
    },
    "api-idempotency-keys-purge": {
        "task": "api.tasks.idempotency_keys_purge",
        "schedule": crontab(minute=17),
    },
    "api-webhooks-dispatch-due": {"task": "api.tasks.webhooks_dispatch_due", "schedule": 30.0},
    "api-events-purge": {"task": "api.tasks.events_purge", "schedule": crontab(minute=43)},
}

# --- REST API (api/, docs/api.md) -----------------------------------------------------
REST_FRAMEWORK = {
    # API keys for integrations, the session for the browser (and the interactive docs).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.KeyRateThrottle",
        "api.throttling.UserRateThrottle",
        "api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "key": env.str("API_THROTTLE_KEY_RATE", default="120/min"),
        "user": env.str("API_THROTTLE_USER_RATE", default="240/min"),
        "anon": env.str("API_THROTTLE_ANON_RATE", default="30/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # {index: errors} for lists (DRF 3.20's only format): order lines, bulk items.
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Value CRM API",
    "DESCRIPTION": (
        "Customers, orders, campaigns, surveys and value scores. Authenticate with an API "
        "key from your profile (`Authorization: Bearer <key>`). Quick start: docs/api.md."
    ),
    "VERSION": "1.1.0",  # semantic: docs/api.md, Versioning and Changelog
    "SERVE_INCLUDE_SCHEMA": False,
    # Anyone, or signed-in users and API keys only: API_SCHEMA_PUBLIC below.
    "SERVE_PERMISSIONS": ["api.permissions.SchemaAccess"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # OpenAPI 3.1 (JSON Schema types, null as a type) for its ``webhooks``: the deliveries.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": "api.schema.WEBHOOKS",
    # One type per field and a description on every property (api.schema.postprocess).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess",
    ],
    # Separate request and response components, so read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "customers.models.Customer.Status",
        "OrderStatusEnum": "orders.models.Order.Status",
        "SurveyStatusEnum": "surveys.models.Survey.Status",
        "RecalcStatusEnum": "metrics.models.RecalcRun.Status",
        "DeliveryStatusEnum": "api.webhooks.models.WebhookDelivery.Status",
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "ActivityKindEnum": "customers.models.Activity.Kind",
        "CostKindEnum": "orders.models.CustomerCost.Kind",
        "SurveyKindEnum": "surveys.models.Survey.Kind",
        "ModelFitKindEnum": "metrics.models.ModelFit.Kind",
        "RecalcKindEnum": "metrics.models.RecalcRun.Kind",
        "WebhookEventEnum": "api.webhooks.models.Event",
        "EventTypeEnum": "api.webhooks.models.EVENT_TYPES",
        "ScoreComponentKeyEnum": "api.serializers.metrics.SCORE_COMPONENT_KEYS",
    },
}
# The OpenAPI schema (/api/schema/) and its Swagger UI page (/api/docs/) for anyone (the
# default: they describe the API, never data); off, for signed-in users and API keys only.
API_SCHEMA_PUBLIC = env.bool("API_SCHEMA_PUBLIC", default=True)
# Largest request body (a bulk import of 1,000 orders fits comfortably): one limit, which
# Django applies while reading any body (files uploaded to the pages excepted), the API
# answering 413 in its error body, the pages Django's 400 page.
API_MAX_REQUEST_BYTES = env.int("API_MAX_REQUEST_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_REQUEST_BYTES
API_BULK_MAX_ITEMS = env.int("API_BULK_MAX_ITEMS", default=1000)
# A bulk or batch request of more items becomes a job (202) unless it asks ?async=false.
API_BULK_ASYNC_ITEMS = env.int("API_BULK_ASYNC_ITEMS", default=100)
API_IDEMPOTENCY_KEY_HOURS = env.int("API_IDEMPOTENCY_KEY_HOURS", default=24)
# Outgoing webhooks: private and loopback addresses are refused unless allowed (SSRF guard).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=DEBUG)
WEBHOOKS_TIMEOUT_SECONDS = env.int("WEBHOOKS_TIMEOUT_SECONDS", default=10)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6)

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Product settings -----------------------------------------------------------------
CRM_PAGE_SIZE = env.int("CRM_PAGE_SIZE", default=25)
# Every total and metric is in this currency; others convert at the order date's rate.
CRM_BASE_CURRENCY = env.str("BASE_CURRENCY", default="USD").upper()

# --- Surveys --------------------------------------------------------------------------
# A customer emailed a survey is not asked again for this many days.
SURVEY_RESURVEY_DAYS = env.int("SURVEY_RESURVEY_DAYS", default=90)
# One reminder goes to those who have not answered after this many days.
SURVEY_REMINDER_DAYS = env.int("SURVEY_REMINDER_DAYS", default=7)
# A response link works for this many days after its email was sent.
SURVEY_TOKEN_MAX_AGE_DAYS = env.int("SURVEY_TOKEN_MAX_AGE_DAYS", default=60)
SURVEY_SEND_BATCH_SIZE = env.int("SURVEY_SEND_BATCH_SIZE", default=100)
# Requests per client address and survey link in ten minutes.
SURVEY_RATE_LIMIT = env.int("SURVEY_RATE_LIMIT", default=30)
# Links in emails are absolute: the address customers reach the CRM at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Dashboard and cohort figures that took at least ANALYTICS_CACHE_AFTER seconds to compute
# (a big database) are kept ANALYTICS_CACHE_SECONDS, with a note and a refresh link; small
# databases always get fresh figures. A quarter of a second: at a million customers a
# manager's figures take about that once the score totals are kept (metrics.totals), and
# the landing page should not spend it on every visit.
ANALYTICS_CACHE_AFTER = env.float("ANALYTICS_CACHE_AFTER", default=0.25)
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=600)
# Score history kept daily this many days, then one row a week until SCORE_HISTORY_WEEKLY_DAYS,
# then one a month (metrics/retention.py, thinned nightly).
SCORE_HISTORY_DAILY_DAYS = env.int("SCORE_HISTORY_DAILY_DAYS", default=90)
SCORE_HISTORY_WEEKLY_DAYS = env.int("SCORE_HISTORY_WEEKLY_DAYS", default=365)
# Fragments every page repeats and only the language and a user's permissions change (the
# menu): kept in each process, as the compiled templates are, not fetched from Redis.
PROCESS_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "process"}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "process": PROCESS_CACHE,
}
if REDIS_URL:
    # The survey pages' rate limit must be shared by every web process.
    CACHES = {
        "process": PROCESS_CACHE,
        "default": {
            # Django's Redis cache, going on without it when Redis is down (core/cache.py).
            "BACKEND": "core.cache.SoftRedisCache",
            # A separate Redis database is safer in production (CACHE_REDIS_URL).
            "LOCATION": env.str("CACHE_REDIS_URL", default=REDIS_URL),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        },
    }
