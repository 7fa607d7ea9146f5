"""Keyward settings, all read from the environment (django-environ) or `.env`.

The variable names are part of the contract (SPEC §8): deployments and tests set them.
A value already in the process environment wins over the same name in `.env`, so
`DATABASE_URL=... make test` points a run at PostgreSQL without editing files.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from config import mandatory
from config.env import Env
from config.envfile import load_into_environment

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
load_into_environment()  # .env, or KEYWARD_ENV_FILE (tests, unusual installs), under the environment

DEBUG = env.bool("DEBUG", default=False)

# --- Secrets: missing or weak ones stop start-up with the variable's name -------------
SECRET_KEY = mandatory.secret_key(env.str("SECRET_KEY", default=""), debug=DEBUG)
API_KEY_PEPPER = mandatory.pepper(env.str("API_KEY_PEPPER", default=""))
API_KEY_PEPPER_PREVIOUS = mandatory.previous_peppers(env.list("API_KEY_PEPPER_PREVIOUS", default=[]))
FERNET_KEYS = mandatory.fernet_keys(env.list("FERNET_KEYS", default=[]))

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ALLOW_SIGNUP = env.bool("ALLOW_SIGNUP", default=False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "apikeys",
    "trading",
    "agents",
    "playground",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CSPMiddleware",  # django-csp's, headers built once (config/csp.py)
]

ROOT_URLCONF = "config.urls"
# Every API path answers with and without its trailing slash (OpenAlgo's SDK POSTs to
# `/api/v1/placeorder` and follows no redirect), so no slash-appending redirects.
APPEND_SLASH = False

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

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, checking a connection before each request without a round trip
    # when the server has sent nothing (config/postgresql/base.py says why that is enough).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    if env.bool("DATABASE_POOL", default=True):
        # A process keeps some request threads, each with its connection, but runs as many
        # as there are requests at once (config/request_threads.py). The pool bounds how
        # many connections a process opens and hands them from thread to thread.
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool replaces persistent connections
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # the backend checks, not the pool
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (orders, key tests) under daphne's threads: a deferred transaction
    # that reads and then writes fails at once with "database is locked" when another
    # connection writes first (bench/soak.py saw 58 % of orders fail that way). IMMEDIATE
    # takes the write lock at BEGIN and the timeout makes the others wait for it; WAL lets
    # readers go on while one connection writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_TIMEOUT_SECONDS", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
# Request threads (config/request_threads.py) kept between requests, each with its own
# database connection (held for CONN_MAX_AGE, or handed back to the pool on PostgreSQL),
# and how many of them run Django code at once (config/request_turns.py; 0: no limit).
REQUEST_THREADS_KEPT = env.int("REQUEST_THREADS_KEPT", default=20)
REQUEST_THREADS_RUNNING = env.int("REQUEST_THREADS_RUNNING", default=4)  # bench/soak.py: 4 beat 2 and 8
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: in-process by default, Redis when REDIS_URL is set ------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="keyward"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNEL_PREFIX", default="keyward")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "apikey-page"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from static/ even before collectstatic

# Request size: anything larger is refused before a view sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# --- Security headers; HTTPS_ONLY turns on the transport-level ones --------------------
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts and styles only from
# our own origin, never inline (the pages, the playground, the admin, Swagger UI through
# its split view and the DRF browsable API all load theirs from /static/). 'self' also
# admits ws:/wss: to this host (CSP 3), which the playground's WebSocket panel needs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Platform key hashing (Argon2id + pepper) -----------------------------------------
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=3)
ARGON2_MEMORY_COST = env.int("ARGON2_MEMORY_COST", default=65536)  # KiB
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=4)
PLATFORM_KEY_MEMO_SIZE = env.int("PLATFORM_KEY_MEMO_SIZE", default=10000)
PLATFORM_KEY_LAST_USED_INTERVAL = env.int("PLATFORM_KEY_LAST_USED_INTERVAL", default=60)
SERVICE_KEY_LAST_USED_INTERVAL = env.int("SERVICE_KEY_LAST_USED_INTERVAL", default=60)
# How stale a process's view of another process's bad-key count may get (apikeys/authentication.py).
INVALID_APIKEY_RECHECK_SECONDS = env.float("INVALID_APIKEY_RECHECK_SECONDS", default=1.0)
# Client addresses many users share (TradingView's webhook senders, a NAT): past the bad-key
# limit their bad keys still get 429, but a good key is checked and passes.
INVALID_APIKEY_SHARED_SOURCES = env.networks("INVALID_APIKEY_SHARED_SOURCES", default=())

# --- External providers (service key tests, agents) -----------------------------------
GOOGLE_API_BASE_URL = env.str("GOOGLE_API_BASE_URL", default="https://generativelanguage.googleapis.com")
NEWS_API_BASE_URL = env.str("NEWS_API_BASE_URL", default="https://newsapi.org")
FINNHUB_API_BASE_URL = env.str("FINNHUB_API_BASE_URL", default="https://finnhub.io")
FMP_API_BASE_URL = env.str("FMP_API_BASE_URL", default="https://financialmodelingprep.com")
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=10.0)
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.0-flash")
NEWS_API_KEY = env.str("NEWS_API_KEY", default="")
GOOGLE_API_KEY = env.str("GOOGLE_API_KEY", default="")
FINNHUB_API_KEY = env.str("FINNHUB_API_KEY", default="")
FMP_API_KEY = env.str("FMP_API_KEY", default="")

# --- REST framework, JWT, schema ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "invalid_apikey": env.str("THROTTLE_INVALID_APIKEY", default="30/min"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
        "news_analyst": env.str("THROTTLE_NEWS_ANALYST", default="30/min"),
        "service_key_test": env.str("THROTTLE_SERVICE_KEY_TEST", default="30/min"),
    },
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keyward API",
    "DESCRIPTION": "Platform API keys, service key vault, sandbox trading API and agents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderModeEnum": "apikeys.models.OrderMode.choices", "KeySourceEnum": "agents.keys.KEY_SOURCES",
    },
}

# --- Logging: every record passes the secret redactor (apikeys.redaction) -------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING_CONFIG = "apikeys.redaction.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Sandbox trading (trading/) --------------------------------------------------------
SANDBOX_STARTING_CASH = env.float("SANDBOX_STARTING_CASH", default=1_000_000.0)
PENDING_ORDER_TTL_SECONDS = env.int("PENDING_ORDER_TTL_SECONDS", default=15 * 60)
MARKET_SEED = env.int("MARKET_SEED", default=20260101)

# --- WebSocket stream (trading/consumers.py, trading/feed.py) --------------------------
WS_MAX_SYMBOLS_PER_CONNECTION = env.int("WS_MAX_SYMBOLS_PER_CONNECTION", default=1000)
WS_MAX_CONNECTIONS_PER_USER = env.int("WS_MAX_CONNECTIONS_PER_USER", default=3)
WS_AUTH_GRACE_SECONDS = env.float("WS_AUTH_GRACE_SECONDS", default=15.0)
WS_MAX_MESSAGE_BYTES = env.int("WS_MAX_MESSAGE_BYTES", default=64 * 1024)
WS_SEND_QUEUE_SIZE = env.int("WS_SEND_QUEUE_SIZE", default=1000)
FEED_TICKS_PER_SECOND = env.float("FEED_TICKS_PER_SECOND", default=1.0)

# --- Agents (agents/) -----------------------------------------------------------------
NEWS_ANALYST_PAGE_SIZE = env.int("NEWS_ANALYST_PAGE_SIZE", default=10)
NEWS_ANALYST_CACHE_SECONDS = env.int("NEWS_ANALYST_CACHE_SECONDS", default=300)
