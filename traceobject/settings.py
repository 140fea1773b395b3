"""Settings for traceobject, read from the environment (see README.md and .env.example).

Defaults are the safe production choice. Without DATABASE_URL the embedded default is used
(SQLite under var/, Celery tasks run in-process, a local-memory cache), so a newcomer can
try the portal with one command.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.conf.locale import LANG_INFO
from xstatic.pkg import bootstrap as xstatic_bootstrap

from traceobject.env import (
    ConfigError,
    database_from_url,
    envbool,
    envemails,
    envfernetkeys,
    envint,
    envlangmap,
    envlist,
    envloglevel,
    envnetworks,
    envphonebook,
    envrate,
    envrawkeys,
    envstr,
    envurl,
    envurls,
    is_raw_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "SECRET_KEY is not set: export a long random SECRET_KEY, or DEBUG=true on a "
            "development machine"
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = envurls("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin, with our two-factor site as `admin.site` (moderation/admin_site.py).
    "moderation.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_countries",
    "django_altcha",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Ours, lowest first: an app imports only the apps above it here (tests/site/test_layers.py).
    "audit",
    "outbox",
    "network",
    "objects",
    "tips",
    "moderation",
    "operations",
]

MIDDLEWARE = [
    "traceobject.metrics.MetricsMiddleware",  # first: times every answer, cached ones too
    "django.middleware.security.SecurityMiddleware",
    "traceobject.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions, auth and OTP: an anonymous visitor's public page is served from here.
    # Before the page cache: a public object page counts as viewed, cached or not (one
    # counter per object and day, nothing about the visitor: tips/activity.py).
    "tips.activity.ObjectViewCounter",
    "traceobject.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "traceobject.middleware.PublicLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "traceobject.urls"
WSGI_APPLICATION = "traceobject.wsgi.application"

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
                "django.template.context_processors.i18n",
                "traceobject.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL")
EMBEDDED = DATABASE_URL is None
if EMBEDDED:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "traceobject.sqlite3"}
    }
else:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker ---------------------------------------------------------------------
REDIS_URL = envurl("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
# Short socket timeouts: a dead or unreachable Redis must cost a request milliseconds, not
# the operating system's 2-minute TCP timeout (/healthz/ answers within 2 seconds).
REDIS_SOCKET_TIMEOUT = 0.5
CACHE_KEY_PREFIX = envstr("CACHE_KEY_PREFIX", "traceobject")
if REDIS_URL:
    _REDIS_OPTIONS = {
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": _REDIS_OPTIONS,
        },
        # Rate-limit counters and proof-of-work replay guards. While Redis is down this
        # alias counts in each process's memory instead, so tips are still accepted and
        # abuse stays bounded (see traceobject/cache.py and the README).
        "ratelimit": {
            "BACKEND": "traceobject.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX + ":rl",
            "OPTIONS": _REDIS_OPTIONS,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ratelimit",
        },
    }

# Public pages (traceobject/pagecache.py): kept this long in Redis, and this long in each web
# process's memory. A publication, edit, identification or retirement makes them stale at
# once in Redis; another process may serve its in-memory copy for PAGE_CACHE_LOCAL_SECONDS.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600, minimum=0)  # 0 turns the cache off
PAGE_CACHE_LOCAL_SECONDS = 2

# --- Celery (read by traceobject/celery.py; every name starts with CELERY_) --------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker, tasks run in the web process as soon as they are queued.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
# In-process tasks behave like queued ones: a failure is recorded, not raised into the request.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Our tasks are idempotent, so a task is acknowledged only once it is done: a worker that
# dies mid-task leaves it on the queue for another worker instead of losing it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Soft limit raises inside the task so it can clean up; the hard limit kills the process.
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Retries back off up to this long; countdowns never exceed it (see traceobject/celery.py).
CELERY_MAX_COUNTDOWN = 3600
# Redis re-delivers an unacknowledged message after the visibility timeout. It must be
# longer than any task plus any countdown or ETA, or a task would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * CELERY_MAX_COUNTDOWN + CELERY_TASK_TIME_LIMIT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How often beat has the evidence boards' stored tallies counted again where tips changed.
TALLY_REFRESH_SECONDS = envint("TALLY_REFRESH_SECONDS", 30, minimum=1)
# The beat schedule, all in one place. Exactly one beat process may run (docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    "objects-requeue-stalled-intake": {
        "task": "objects.tasks.requeue_stalled_intake",
        "schedule": 600.0,  # seconds; see objects.services.STALLED_INTAKE_MINUTES
    },
    "outbox-relay": {
        "task": "outbox.tasks.relay_outbox",
        "schedule": 60.0,  # jobs written while the broker was down go out within a minute
    },
    "moderation-send-forward-digests": {
        "task": "moderation.tasks.send_forward_digests",
        "schedule": crontab(hour=7, minute=5),  # daily, before the working day
    },
    "tips-requeue-lost-work": {
        "task": "tips.tasks.requeue_lost_work",
        "schedule": 300.0,  # seconds; work lost with the broker is found within REQUEUE_AFTER
    },
    "tips-tally-refresh": {
        "task": "tips.tasks.tally_refresh_marked",
        # The boards' stored tallies follow new tips within this; a board opened sooner
        # counts what changed itself (tips/tally.py).
        "schedule": float(TALLY_REFRESH_SECONDS),
    },
    "tips-relays-send-due": {
        "task": "tips.tasks.relays_send_due",
        "schedule": 60.0,  # a partner portal that was down gets what waited within a minute
    },
    "objects-partners-poll": {
        "task": "objects.tasks.partners_poll",
        # Looks for the partners due: each is polled every NETWORK_POLL_SECONDS, or later
        # after failures (objects/partners.py), so this runs more often than any poll.
        "schedule": 60.0,
    },
    "network-cleanup": {
        "task": "network.tasks.network_cleanup",
        "schedule": 600.0,  # seen nonces outlive the replay window by at most ten minutes
    },
    "network-partners-refresh": {
        "task": "network.tasks.partners_refresh",
        "schedule": crontab(hour=4, minute=41),  # daily: partners' key rotations followed
    },
    "tips-apply-retention": {
        "task": "tips.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=17),  # daily, off the hour
    },
}

# Work handed to the broker this long ago and never done (outbox rows), or never queued
# (a tip still ungrouped, an urgent report still unalerted), is queued again by beat.
REQUEUE_AFTER_MINUTES = envint("REQUEUE_AFTER_MINUTES", 15, minimum=0)

# /healthz/ tells which service is down (and the outbox's age) only to these networks or to
# a request with the X-Healthz-Token header; anyone else gets the bare 200 or 503.
HEALTHZ_DETAIL_NETWORKS = envnetworks("HEALTHZ_DETAIL_NETWORKS", ["127.0.0.0/8", "::1"])
HEALTHZ_TOKEN = envstr("HEALTHZ_TOKEN", "")

# A running worker writes a heartbeat to the cache this often (traceobject/celery.py);
# /healthz/ answers 503 naming the worker once the last one is older than the second value.
WORKER_HEARTBEAT_SECONDS = envint("WORKER_HEARTBEAT_SECONDS", 30, minimum=1)
WORKER_SILENT_SECONDS = envint("WORKER_SILENT_SECONDS", 120, minimum=1)

# --- Auth and sessions --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Where a login goes when its `next` is missing or unsafe (another host): the back office,
# the only thing staff log in for (Django's default, /accounts/profile/, does not exist).
LOGIN_REDIRECT_URL = "admin:index"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout, not a fixed lifetime
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Staff authentication -----------------------------------------------------------------
# Every staff login needs a password and a second factor (django-otp): a code from an
# authenticator app (TOTP) or a single-use backup code. `manage.py create_staff` issues both.
# The back office (django_otp.admin.OTPAdminSite, see moderation/admin_site.py) treats staff
# without a verified device as logged out.
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username and network before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The name authenticator apps show next to the code (PORTAL_NAME, read again here).
OTP_TOTP_ISSUER = envstr("PORTAL_NAME", "Trace an Object")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # device keys and backup codes never shown in the admin
# django-axes: 5 failed logins (a wrong password or a wrong second factor) for one username
# from one network lock that pair out for 30 minutes; another network, or another username,
# is not affected. A successful login clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Per account, across networks (moderation/auth.py): past 20 failed logins for one username
# in a 15-minute window, a login to it from a browser that never logged in to it is checked
# only after a delay per network: 30 s, doubling for each further 20 failures, at most 5
# minutes; each checked attempt arms it again. A delay, never a lock: the password and a
# second factor get in once it is over. A browser that has logged in to that account
# before (a signed cookie, 90 days) does not wait. Usernames are counted as a keyed hash.
STAFF_LOGIN_ACCOUNT_LIMIT = "20/15m"
STAFF_LOGIN_DELAY_SECONDS = envint("STAFF_LOGIN_DELAY_SECONDS", 30, minimum=1)
STAFF_LOGIN_DELAY_MAX_SECONDS = envint("STAFF_LOGIN_DELAY_MAX_SECONDS", 300, minimum=1)
# Privacy: axes never sees an address. Its "ip_address" is the HMAC of the client's network
# (traceobject.clients.network_key, written as a private IPv6 address because axes keeps it in
# an address column); our handler blanks the user agent and Accept header before axes
# stores anything; no log of successful logins; the OTP token is masked in stored POST data.
AXES_CLIENT_IP_CALLABLE = "moderation.auth.client_pseudonym"
AXES_HANDLER = "moderation.auth.PrivateAxesHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
# Every public page has one URL per language (/fr/objects/…); names are written in their own
# language, as a visitor looks for them in the switcher. English is also the back office's.
LANGUAGES = [
    # The 24 official languages of the European Union, then Ukrainian, Russian, Turkish and
    # Arabic (right to left: base.html switches to Bootstrap's RTL stylesheet).
    ("bg", "Български"),
    ("cs", "Čeština"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("es", "Español"),
    ("et", "Eesti"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("ga", "Gaeilge"),
    ("hr", "Hrvatski"),
    ("hu", "Magyar"),
    ("it", "Italiano"),
    ("lt", "Lietuvių"),
    ("lv", "Latviešu"),
    ("mt", "Malti"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("sv", "Svenska"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
]
# Django knows every one of them but Maltese: {% get_language_info %} and the language
# switcher need its entry.
LANG_INFO.setdefault("mt", {"bidi": False, "code": "mt", "name": "Maltese", "name_local": "Malti"})
# Pages outside the language prefixes, always in LANGUAGE_CODE whatever the browser asks.
UNTRANSLATED_PATHS = ("/backoffice/", "/healthz/", "/metrics", "/.well-known/", "/network/")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files and media ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap ships inside the XStatic-Bootstrap package: served by us, never by a CDN.
    ("bootstrap", xstatic_bootstrap.BASE_DIR),
]
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
MEDIA_URL = "/media/"
# Public: only the images of published and identified objects, copied here on publication
# and deleted on retirement (objects/media.py). The web server serves it to anyone.
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# Private: every derivative the intake makes, of every object in every state. Never served
# as a folder; staff see its images through an authenticated back-office view.
PRIVATE_MEDIA_ROOT = Path(envstr("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private-media")))
# When nginx fronts the site (docker-compose.yml), that view answers with X-Accel-Redirect
# to nginx's `internal` location /private-media/ instead of streaming the file itself.
PRIVATE_MEDIA_ACCEL_REDIRECT = envbool("PRIVATE_MEDIA_ACCEL_REDIRECT", False)
# Django serves the public media only under DEBUG; in production the web server in front does.
SERVE_MEDIA = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security headers (set here, applied by SecurityMiddleware and our own middleware) ----
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Health checks come over plain HTTP from inside the deployment (compose, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^metrics$"]
# Set when TLS ends at a reverse proxy that sets X-Forwarded-Proto: https (and strips any
# such header a client sent). Never enable it when clients can reach gunicorn directly.
if envbool("TLS_TERMINATED_AT_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# The receipt page's own cookie (tips/views.py): the receipt, encrypted, for 15 minutes.
RECEIPT_COOKIE_NAME = "receipt"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
# Pages holding a POST form send "same-origin" instead (see traceobject/middleware.py).
FORM_REFERRER_PATHS = r"^/([a-z]{2}/)?(backoffice/|report/|receipt/|objects/[^/]+/tip/)"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: only for the small SVG icons Bootstrap's stylesheet embeds.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SILENCED_SYSTEM_CHECKS: list[str] = []
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment to browsers' lists that each deployer must choose
    # for their own domain (SECURE_HSTS_PRELOAD=true); it is not ours to make by default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
    # The queue's indexes carry the group as a non-key column for PostgreSQL's index-only
    # counts (tips/models.py); the embedded database of `make run` ignores it, as it may.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# --- Mail ---------------------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "traceobject@localhost")
if EMBEDDED and envstr("EMAIL_HOST") is None:
    # Mail is printed to the console until a mail server is configured.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Object intake ---------------------------------------------------------------------
# Uploads wait here, outside MEDIA_ROOT (never served), until the intake task has made the
# public derivatives; then they are deleted.
INTAKE_ROOT = Path(envstr("INTAKE_ROOT", str(VAR_DIR / "intake")))
OBJECT_MAX_UPLOAD_MB = envint("OBJECT_MAX_UPLOAD_MB", 25, minimum=1)
OBJECT_MAX_MEGAPIXELS = envint("OBJECT_MAX_MEGAPIXELS", 50, minimum=1)
# Crops whose perceptual hashes differ in at most this many of 64 bits are listed as
# "looks like" each other (0 = identical; unrelated images differ in about 32).
OBJECT_RESEMBLANCE_THRESHOLD = envint("OBJECT_RESEMBLANCE_THRESHOLD", 10, minimum=0)
# Codes look like TAO-2026-0042.
OBJECT_CODE_PREFIX = envstr("OBJECT_CODE_PREFIX", "TAO")

# --- Tips: abuse resistance -------------------------------------------------------------
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_FAIL_OPEN = False  # the failover cache above keeps counting while Redis is down
# The client address is REMOTE_ADDR, unless REMOTE_ADDR is one of these proxies (addresses
# or networks): then the last X-Forwarded-For entry that is not a trusted proxy. Anyone
# else's X-Forwarded-For changes nothing. Addresses are only ever used as an HMAC of their
# network under a key that changes every UTC day (traceobject/clients.py), never stored.
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES", [])
# One IPv6 "network" is a /56 (what a provider gives one home or small office); a /48 (one
# site, 256 of those) has a coarser budget of its own, the "wide" rules below.
RATELIMIT_IPV6_PREFIX = envint("RATELIMIT_IPV6_PREFIX", 56, minimum=32)
RATELIMIT_IPV6_WIDE_PREFIX = envint("RATELIMIT_IPV6_WIDE_PREFIX", 48, minimum=16)
# (name, what is counted, rate). Rates are "count/period" with periods s, m, h, d (5/10m);
# counters live in fixed windows (a day is a UTC day). Only a taken tip counts: a form
# refused for a mistake costs nothing (tips/ratelimits.py, tips/views.py).
# - "network" (the /32 of IPv4, the /56 of IPv6) and "wide" (the /48 of IPv6) rules refuse
#   with the 429 page; an urgent report is never refused: over one, it is taken and held;
# - "object" and "global" rules (shared by everyone) never refuse: a tip over one is taken,
#   held by the breaker and grouped with the burst as one flood for the analysts, and new
#   proofs of work grow harder with the load (ALTCHA_LOAD_MAX_FACTOR).
TIP_RATE_LIMITS = [
    ("tip-network-burst", "network", "5/10m"),  # 5 tips per network per 10 minutes
    ("tip-network-day", "network", "20/d"),  # 20 tips per network per day
    ("tip-wide-burst", "wide", "20/10m"),  # an IPv6 /48: 4 networks' worth
    ("tip-wide-day", "wide", "80/d"),
    ("tip-object", "object", "300/h"),  # 300 tips per object per hour: a flood on one object
    ("tip-global", "global", envrate("TIP_GLOBAL_RATE", "1000/h")),  # the global breaker
]
REPORT_RATE_LIMITS = [
    ("report-network-burst", "network", "5/10m"),  # the same budget as tips, counted apart
    ("report-network-day", "network", "20/d"),
    ("report-wide-burst", "wide", "20/10m"),
    ("report-wide-day", "wide", "80/d"),
    ("report-global", "global", "500/h"),  # breaker for reports not about an object
]
# Receipts: per-network rules only (any other rule is ignored). A global budget would let
# one client lock every tipster out of their receipts.
RECEIPT_RATE_LIMITS = [
    ("receipt-network", "network", "30/h"),  # 30 receipt look-ups or follow-ups per hour
]
# Wrong receipts never lock a network out: after RECEIPT_WRONG_FREE wrong ones in a UTC day
# it waits before the next try, RECEIPT_WRONG_DELAY_SECONDS doubled after each further wrong
# one, at most RECEIPT_WRONG_DELAY_MAX_SECONDS; then a right receipt works. Guessing 16
# digits at one try per 15 minutes (96 a day) takes longer than any receipt lives.
RECEIPT_WRONG_FREE = envint("RECEIPT_WRONG_FREE", 5, minimum=0)
RECEIPT_WRONG_DELAY_SECONDS = envint("RECEIPT_WRONG_DELAY_SECONDS", 60, minimum=1)
RECEIPT_WRONG_DELAY_MAX_SECONDS = envint("RECEIPT_WRONG_DELAY_MAX_SECONDS", 900, minimum=1)
# The self-hosted proof of work (django-altcha): the browser searches up to this number.
# While a shared budget (per object, global) is half used or more, new challenges search up
# to ×4, ×16 … of it, at most ×ALTCHA_LOAD_MAX_FACTOR (tips/ratelimits.py; SECURITY.md has
# the cost to an attacker).
ALTCHA_HMAC_KEY = hashlib.sha256(f"altcha:{SECRET_KEY}".encode()).hexdigest()
ALTCHA_CACHE_ALIAS = "ratelimit"
ALTCHA_MAX_NUMBER = envint("ALTCHA_MAX_NUMBER", 100_000, minimum=1000)
ALTCHA_LOAD_MAX_FACTOR = envint("ALTCHA_LOAD_MAX_FACTOR", 16, minimum=1)
ALTCHA_CHALLENGE_EXPIRE = 20 * 60 * 1000  # ms

# --- Tips: privacy and retention ----------------------------------------------------------
# Fernet keys (comma-separated) for contact details: the first encrypts, all decrypt, so a
# new key goes first and `manage.py rotate_contact_keys` re-encrypts with it.
TIP_CONTACT_KEYS = envfernetkeys("TIP_CONTACT_KEYS", [])
if not TIP_CONTACT_KEYS:
    if not DEBUG:
        raise ConfigError(
            'TIP_CONTACT_KEYS is not set: generate one with `python -c "from '
            'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`'
        )
    TIP_CONTACT_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]
# Days after which the retention job (daily, by beat) deletes or invalidates:
TIP_CONTACT_RETENTION_DAYS = envint("TIP_CONTACT_RETENTION_DAYS", 30, minimum=0)  # after close
TIP_REJECTED_RETENTION_DAYS = envint("TIP_REJECTED_RETENTION_DAYS", 30, minimum=0)
TIP_RECEIPT_RETENTION_DAYS = envint("TIP_RECEIPT_RETENTION_DAYS", 90, minimum=0)  # after close
# Delivered messages about tips to partner portals (answers, statuses, questions; emptied
# once delivered), kept for the administrator this long; a "tip" message goes with its tip.
TIP_RELAY_KEEP_DAYS = envint("TIP_RELAY_KEEP_DAYS", 30, minimum=0)  # after delivery
# --- Tips: intelligence (grouping, claims, floods; tips/grouping.py, README "Tip intelligence")
# Two tips are near-duplicates when the estimated Jaccard similarity of their character
# shingles is at least this many percent. The MinHash has TIP_GROUP_BANDS x TIP_GROUP_ROWS
# permutations; more bands find more candidates (each is then checked on its signature).
TIP_GROUP_SIMILARITY_PERCENT = envint("TIP_GROUP_SIMILARITY_PERCENT", 60, minimum=1)
TIP_GROUP_BANDS = envint("TIP_GROUP_BANDS", 32, minimum=1)
TIP_GROUP_ROWS = envint("TIP_GROUP_ROWS", 4, minimum=1)
# A group that gets this many tips within this many minutes is held as a suspected flood:
# out of the queue, one item for an analyst to release or reject.
TIP_FLOOD_MIN_TIPS = envint("TIP_FLOOD_MIN_TIPS", 20, minimum=2)
TIP_FLOOD_WINDOW_MINUTES = envint("TIP_FLOOD_WINDOW_MINUTES", 60, minimum=1)
# A name (brand or shop candidate) is listed once this many independent groups mention it.
TIP_NAME_MIN_GROUPS = envint("TIP_NAME_MIN_GROUPS", 2, minimum=1)
# Agreement counts supporting groups in distinct time slots of this many hours as "across time".
TIP_AGREEMENT_SLOT_HOURS = envint("TIP_AGREEMENT_SLOT_HOURS", 24, minimum=1)
# An object published this long with no new independent group in this time is "saturated":
# listed on the investigators' home page with a suggestion to retire or re-feature it.
TIP_SATURATED_DAYS = envint("TIP_SATURATED_DAYS", 21, minimum=1)
# Shown at once when a visitor reports a child in danger now: "label=number" pairs. The
# default labels are in the translation catalogues (pages show them through {% translate %}).


def gettext_noop(message: str) -> str:
    """Marks a string for makemessages. Not Django's: that one reads the settings, which
    would be read half-built here, and a configuration error would then not stop the site."""
    return message


_DEFAULT_EMERGENCY_LABELS = (
    gettext_noop("Emergency services (Europe)"),
    gettext_noop("Child helpline (Europe)"),
    gettext_noop("Missing children hotline (Europe)"),
)
EMERGENCY_CONTACTS = envphonebook(
    "EMERGENCY_CONTACTS",
    [
        f"{label}={number}"
        for label, number in zip(
            _DEFAULT_EMERGENCY_LABELS, ("112", "116 111", "116 000"), strict=True
        )
    ],
)
# Who is mailed at once about an urgent report (besides nobody: set it in production).
URGENT_ALERT_EMAILS = envemails("URGENT_ALERT_EMAILS", [])
# Urgent alerts: the worker waits this long before mailing (a burst makes one mail), and
# mails at most once per window of this many seconds, naming every report not alerted yet.
URGENT_ALERT_GATHER_SECONDS = envint("URGENT_ALERT_GATHER_SECONDS", 5, minimum=0)
URGENT_ALERT_WINDOW_SECONDS = envint("URGENT_ALERT_WINDOW_SECONDS", 60, minimum=1)
# Links in staff mail point here: a silent localhost default would send staff nowhere.
_site_url = envurl("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None)
if _site_url is None:
    raise ConfigError(
        "SITE_URL is not set: export the public address (https://tips.example.org), or "
        "DEBUG=true on a development machine"
    )
SITE_URL: str = _site_url

# --- Operations: metrics and backups (operations/, docs/operations.md) --------------------
# /metrics answers only a request with `Authorization: Bearer <METRICS_TOKEN>`; unset, 404.
METRICS_TOKEN = envstr("METRICS_TOKEN", "")
# `manage.py backup` writes archives here, encrypted with BACKUP_KEY (a Fernet-format key,
# never one of TIP_CONTACT_KEYS: the archive must not open the contacts it holds).
BACKUP_DIR = Path(envstr("BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
_backup_keys = envfernetkeys("BACKUP_KEY", [])
BACKUP_KEY = _backup_keys[0] if _backup_keys else ""
if BACKUP_KEY and BACKUP_KEY in TIP_CONTACT_KEYS:
    raise ConfigError("BACKUP_KEY must not be one of TIP_CONTACT_KEYS")
# A backup must not outlive what it holds: restoring one older than the shortest retention
# period would bring back contacts, rejected tips or receipts the schedule already deleted.
_shortest_retention = min(
    TIP_CONTACT_RETENTION_DAYS, TIP_REJECTED_RETENTION_DAYS, TIP_RECEIPT_RETENTION_DAYS
)
BACKUP_RETENTION_DAYS = envint("BACKUP_RETENTION_DAYS", _shortest_retention, minimum=0)
if _shortest_retention < BACKUP_RETENTION_DAYS:
    raise ConfigError(
        f"BACKUP_RETENTION_DAYS={BACKUP_RETENTION_DAYS} is longer than the shortest tip "
        f"retention ({_shortest_retention} days): a restore would bring back deleted data"
    )

# --- Portal -------------------------------------------------------------------------------
PORTAL_NAME = envstr("PORTAL_NAME", "Trace an Object")
# Who runs the portal, per language (`en=…;fr=…`); by default the portal's own name, which
# reads the same in every language (no English sentence on a French page).
PORTAL_OPERATOR = envlangmap("PORTAL_OPERATOR", PORTAL_NAME)
# The Chromium that `manage.py object_posters` prints posters to PDF with (objects/posters.py).
POSTER_CHROMIUM = envstr("CHROMIUM", "/usr/bin/chromium")

# --- Network of partner portals (network/, docs/network.md) ------------------------------
# Our identity: Ed25519 signing seeds and X25519 private keys, 32 bytes in base64, comma-
# separated. The first signing key signs and every one is published (the overlap of a
# rotation); the first encryption key is published and every one opens sealed boxes. Or a
# JSON file outside the repository, {"signing": [...], "encryption": [...]}, listed after any
# keys from the environment. `manage.py network_keys` makes them.
NETWORK_SIGNING_KEYS = envrawkeys("NETWORK_SIGNING_KEYS", [])
NETWORK_ENCRYPTION_KEYS = envrawkeys("NETWORK_ENCRYPTION_KEYS", [])
NETWORK_KEYS_FILE = envstr("NETWORK_KEYS_FILE", "")
if NETWORK_KEYS_FILE:
    try:
        _network_file = json.loads(Path(NETWORK_KEYS_FILE).read_text())
        _file_signing = list(_network_file.get("signing", []))
        _file_encryption = list(_network_file.get("encryption", []))
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise ConfigError(f"NETWORK_KEYS_FILE cannot be read as JSON: {error}") from None
    if not all(is_raw_key(key) for key in _file_signing + _file_encryption):
        raise ConfigError("NETWORK_KEYS_FILE: a key is not 32 bytes in base64 (44 characters)")
    NETWORK_SIGNING_KEYS += _file_signing
    NETWORK_ENCRYPTION_KEYS += _file_encryption
if not NETWORK_SIGNING_KEYS and not NETWORK_ENCRYPTION_KEYS and DEBUG:
    # A development machine takes part without configuration, like TIP_CONTACT_KEYS above.
    NETWORK_SIGNING_KEYS = [
        base64.b64encode(hashlib.sha256(f"network-signing:{SECRET_KEY}".encode()).digest()).decode()
    ]
    NETWORK_ENCRYPTION_KEYS = [
        base64.b64encode(hashlib.sha256(f"network-sealing:{SECRET_KEY}".encode()).digest()).decode()
    ]
if bool(NETWORK_SIGNING_KEYS) != bool(NETWORK_ENCRYPTION_KEYS):
    raise ConfigError(
        "NETWORK_SIGNING_KEYS and NETWORK_ENCRYPTION_KEYS go together: set both or neither"
    )
# Without keys (production's default) the network is off: no well-known, no inbox, no polling.
NETWORK_ENABLED = bool(NETWORK_SIGNING_KEYS)
NETWORK_NAME = envstr("NETWORK_NAME", PORTAL_NAME)  # how partners list us
# Tests and a portal on a private network only: fetch from private and loopback addresses.
NETWORK_ALLOW_PRIVATE = envbool("NETWORK_ALLOW_PRIVATE", False)
NETWORK_MAX_MESSAGE_BYTES = envint("NETWORK_MAX_MESSAGE_BYTES", 262_144, minimum=1024)
NETWORK_MAX_IMAGE_BYTES = envint("NETWORK_MAX_IMAGE_BYTES", 8 * 1024 * 1024, minimum=1024)
# A message's timestamp may be this far from our clock; its nonce is kept twice as long.
NETWORK_CLOCK_SKEW_SECONDS = envint("NETWORK_CLOCK_SKEW_SECONDS", 300, minimum=10)
NETWORK_POLL_SECONDS = envint("NETWORK_POLL_SECONDS", 300, minimum=10)
# Per partner, a fixed one-minute window: past it a message is refused as rate_limited (429).
NETWORK_PARTNER_MESSAGES_PER_MINUTE = envint("NETWORK_PARTNER_MESSAGES_PER_MINUTE", 120, minimum=1)

# --- Logging: to stdout; never a visitor's address or user agent -------------------------
LOG_LEVEL = envloglevel("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Times to the minute only: a log line dated to the millisecond could tie a tip to its
    # second (traceobject/clock.py).
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%d %H:%M",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's request logger adds the request object, whose repr a custom handler could
        # expand into headers; keep its messages (path and status) at WARNING only.
        "django.request": {"level": "WARNING"},
        # Celery logs each task received and finished: for the alert about an urgent report
        # that line is the report's arrival. Failures (WARNING and up) are still logged.
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
