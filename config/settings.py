"""Keyward settings, all read from the environment (django-environ) or `.env`.

The variable names are part of the contract (docs/api/configuration.md): deployments and tests set them.
A value already in the process environment wins over the same name in `.env`, so
`DATABASE_URL=... make test` points a run at PostgreSQL without editing files.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

# The apps' defaults live in their conf.py (read at call time there); here the environment
# may override them, so each default is written once.
from agents.conf import DEFAULTS as AGENTS_DEFAULTS
from apikeys.conf import DEFAULTS as APIKEYS_DEFAULTS
from config import mandatory
from config.channel_layer import redis_channel_layer
from config.env import Env, websocket_origin
from config.envfile import load_into_environment
from trading.conf import DEFAULTS as TRADING_DEFAULTS

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
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # JSON under /api/ and /playground/
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
    "config.database_errors.DatabaseUnavailableMiddleware",
    "config.statement_deadline.StatementDeadlineMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
# Kept connections only help long-lived threads (gunicorn's gthread workers without the
# pool). Django's ASGI handler runs each request on a thread of its own, where a kept
# connection is never reused and lingers until garbage collection: 0 by default.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A database that is down or stuck fails requests with a 503 in seconds (config.database_errors),
# rather than holding every worker thread until the operating system gives up.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=10.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        "options": f"-c statement_timeout={int(DATABASE_STATEMENT_TIMEOUT * 1000)}",
        # A host that vanishes (not one that refuses) is noticed by TCP keepalives.
        "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
    })
    if env.bool("DATABASE_POOL", default=True):
        # Django's psycopg pool: a request borrows a connection and hands it back when it
        # ends, so a process opens at most max_size connections whatever its concurrency.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
        }
        # No check of a pooled connection before use: Django's runs it outside any
        # deadline, so a frozen database would hang it. A connection that broke while
        # pooled fails its first statement (503) and the pool discards it.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        # The pool keeps the connections; Django refuses a kept connection on top of it.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (orders, key tests) under daphne's threads: a deferred transaction
    # that reads and then writes fails at once with "database is locked" when another
    # connection writes first (bench/soak.py saw 58 % of orders fail that way). IMMEDIATE
    # takes the write lock at BEGIN and the timeout makes the others wait for it; WAL lets
    # readers go on while one connection writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.float("SQLITE_TIMEOUT_SECONDS", default=DATABASE_STATEMENT_TIMEOUT),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: in-process by default, Redis when REDIS_URL is set ------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="keyward"),
            # A frozen Redis costs a request at most this long once; config/shared_cache.py
            # then counts in the process for a while instead of asking again.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    # Idle sockets, Redis restarts: config/channel_layer.py.
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, env.str("CHANNEL_PREFIX", default="keyward"))}
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

# HTTP requests inside Django at once per ASGI process (config/concurrency.py); more wait
# on the event loop. Bounds the threads and database connections (SQLite: descriptors)
# a burst can take; above the number of slow provider calls a process expects at once.
ASGI_MAX_CONCURRENT_REQUESTS = env.int("ASGI_MAX_CONCURRENT_REQUESTS", default=64)

# Where the playground's WebSocket panel connects: empty for the page's own host (make
# run), e.g. wss://stream.example.com/ws/ when the stream has a port or host of its own.
WEBSOCKET_URL = env.websocket_url("WEBSOCKET_URL")

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
        "connect-src": ["'self'", *websocket_origin(WEBSOCKET_URL)],  # 'self' covers this port only
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
PLATFORM_KEY_MEMO_SIZE = env.int("PLATFORM_KEY_MEMO_SIZE", default=APIKEYS_DEFAULTS["PLATFORM_KEY_MEMO_SIZE"])
# Verified keys cached per process, evicted on every change (apikeys/eviction.py); the age
# bounds an entry's life whatever happens to the eviction feed. 0 turns the cache off.
PLATFORM_KEY_CACHE_SECONDS = env.float("PLATFORM_KEY_CACHE_SECONDS", default=APIKEYS_DEFAULTS["PLATFORM_KEY_CACHE_SECONDS"])
PLATFORM_KEY_CACHE_SIZE = env.int("PLATFORM_KEY_CACHE_SIZE", default=APIKEYS_DEFAULTS["PLATFORM_KEY_CACHE_SIZE"])
# Deployments (or parallel test workers) that share one Redis each need their own channel.
PLATFORM_KEY_EVICTION_CHANNEL = env.str("PLATFORM_KEY_EVICTION_CHANNEL", default=APIKEYS_DEFAULTS["PLATFORM_KEY_EVICTION_CHANNEL"])
PLATFORM_KEY_LAST_USED_INTERVAL = env.int("PLATFORM_KEY_LAST_USED_INTERVAL", default=APIKEYS_DEFAULTS["PLATFORM_KEY_LAST_USED_INTERVAL"])
PLATFORM_KEYS_PER_USER = env.int("PLATFORM_KEYS_PER_USER", default=APIKEYS_DEFAULTS["PLATFORM_KEYS_PER_USER"])
PLATFORM_KEY_USAGE_FLUSH_SECONDS = env.float(
    "PLATFORM_KEY_USAGE_FLUSH_SECONDS", default=APIKEYS_DEFAULTS["PLATFORM_KEY_USAGE_FLUSH_SECONDS"],
)
SERVICE_KEY_LAST_USED_INTERVAL = env.int("SERVICE_KEY_LAST_USED_INTERVAL", default=APIKEYS_DEFAULTS["SERVICE_KEY_LAST_USED_INTERVAL"])
# How stale a process's view of another process's bad-key count may get (apikeys/authentication.py).
INVALID_APIKEY_RECHECK_SECONDS = env.float("INVALID_APIKEY_RECHECK_SECONDS", default=APIKEYS_DEFAULTS["INVALID_APIKEY_RECHECK_SECONDS"])
# Client addresses many users share (TradingView's webhook senders, a NAT): past the bad-key
# limit their bad keys still get 429, but a good key is checked and passes.
INVALID_APIKEY_SHARED_SOURCES = env.networks("INVALID_APIKEY_SHARED_SOURCES", default=APIKEYS_DEFAULTS["INVALID_APIKEY_SHARED_SOURCES"])

# --- External providers (service key tests, agents) -----------------------------------
GOOGLE_API_BASE_URL = env.str("GOOGLE_API_BASE_URL", default="https://generativelanguage.googleapis.com")
NEWS_API_BASE_URL = env.str("NEWS_API_BASE_URL", default="https://newsapi.org")
FINNHUB_API_BASE_URL = env.str("FINNHUB_API_BASE_URL", default="https://finnhub.io")
FMP_API_BASE_URL = env.str("FMP_API_BASE_URL", default="https://financialmodelingprep.com")
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=10.0)
GEMINI_MODEL = env.str("GEMINI_MODEL", default=AGENTS_DEFAULTS["GEMINI_MODEL"])
NEWS_API_KEY = env.str("NEWS_API_KEY", default=AGENTS_DEFAULTS["NEWS_API_KEY"])
GOOGLE_API_KEY = env.str("GOOGLE_API_KEY", default=AGENTS_DEFAULTS["GOOGLE_API_KEY"])
FINNHUB_API_KEY = env.str("FINNHUB_API_KEY", default=AGENTS_DEFAULTS["FINNHUB_API_KEY"])
FMP_API_KEY = env.str("FMP_API_KEY", default=AGENTS_DEFAULTS["FMP_API_KEY"])

# --- REST framework, JWT, schema ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers, bounded by DATA_UPLOAD_MAX_MEMORY_SIZE and never a 500 (config/request_body.py).
    "DEFAULT_PARSER_CLASSES": [
        "config.request_body.JSONParser", "config.request_body.FormParser", "config.request_body.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apikeys.api_errors.exception_handler",
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
    # The API documents JSON bodies only. Multipart stays parsed for the browsable API's
    # forms, but daphne's HTTP layer (Twisted) answers a malformed multipart body with a
    # bare 400 before the application sees it, so clients are not invited to send one.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "ENUM_NAME_OVERRIDES": {
        "OrderModeEnum": "apikeys.models.OrderMode.choices", "KeySourceEnum": "agents.keys.KEY_SOURCES",
        # The trading API's choice sets that share a field name.
        "OrderExchangeEnum": "trading.instruments.ORDER_EXCHANGES", "MarketExchangeEnum": "trading.instruments.EXCHANGES",
        "PricetypeEnum": "trading.models.PriceType.values", "ProductEnum": "trading.models.Product.values",
        "GttPricetypeEnum": "trading.order_serializers.GTT_PRICETYPES",
        "GttProductEnum": "trading.order_serializers.GTT_PRODUCTS",
        "DerivativesExchangeEnum": "trading.data_serializers.FNO_EXCHANGES",
        "OptionProductEnum": "trading.data_serializers.OPTION_PRODUCTS",
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
SANDBOX_STARTING_CASH = env.float("SANDBOX_STARTING_CASH", default=TRADING_DEFAULTS["SANDBOX_STARTING_CASH"])
PENDING_ORDER_TTL_SECONDS = env.int("PENDING_ORDER_TTL_SECONDS", default=TRADING_DEFAULTS["PENDING_ORDER_TTL_SECONDS"])
ORDER_IDEMPOTENCY_SECONDS = env.int("ORDER_IDEMPOTENCY_SECONDS", default=TRADING_DEFAULTS["ORDER_IDEMPOTENCY_SECONDS"])
SQLITE_QUEUE_ORDER_WRITES = env.bool("SQLITE_QUEUE_ORDER_WRITES", default=TRADING_DEFAULTS["SQLITE_QUEUE_ORDER_WRITES"])
MARKET_SEED = env.int("MARKET_SEED", default=TRADING_DEFAULTS["MARKET_SEED"])

# --- WebSocket stream (trading/consumers.py, trading/feed.py) --------------------------
WS_MAX_SYMBOLS_PER_CONNECTION = env.int("WS_MAX_SYMBOLS_PER_CONNECTION", default=TRADING_DEFAULTS["WS_MAX_SYMBOLS_PER_CONNECTION"])
WS_MAX_CONNECTIONS_PER_USER = env.int("WS_MAX_CONNECTIONS_PER_USER", default=TRADING_DEFAULTS["WS_MAX_CONNECTIONS_PER_USER"])
WS_AUTH_GRACE_SECONDS = env.float("WS_AUTH_GRACE_SECONDS", default=TRADING_DEFAULTS["WS_AUTH_GRACE_SECONDS"])
WS_MAX_MESSAGE_BYTES = env.int("WS_MAX_MESSAGE_BYTES", default=TRADING_DEFAULTS["WS_MAX_MESSAGE_BYTES"])
WS_SEND_QUEUE_SIZE = env.int("WS_SEND_QUEUE_SIZE", default=TRADING_DEFAULTS["WS_SEND_QUEUE_SIZE"])
WS_STALLED_CLOSE_SECONDS = env.float("WS_STALLED_CLOSE_SECONDS", default=TRADING_DEFAULTS["WS_STALLED_CLOSE_SECONDS"])
FEED_TICKS_PER_SECOND = env.float("FEED_TICKS_PER_SECOND", default=TRADING_DEFAULTS["FEED_TICKS_PER_SECOND"])

# --- Agents (agents/) -----------------------------------------------------------------
NEWS_ANALYST_PAGE_SIZE = env.int("NEWS_ANALYST_PAGE_SIZE", default=AGENTS_DEFAULTS["NEWS_ANALYST_PAGE_SIZE"])
NEWS_ANALYST_CACHE_SECONDS = env.int("NEWS_ANALYST_CACHE_SECONDS", default=AGENTS_DEFAULTS["NEWS_ANALYST_CACHE_SECONDS"])
