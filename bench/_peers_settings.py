"""Bench-only settings: the product's settings plus djangorestframework-api-key, for
bench/peer_drf_api_key.py. Never used by the product (not in config/).

The server of that bench runs with DJANGO_SETTINGS_MODULE=bench._peers_settings (``bench``
is imported as a namespace package from the project root, which is the server's working
directory), so the peer's ping lives in the same process as ours, behind the same
middleware, database and settings.
"""
from config.settings import *  # noqa: F401,F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_api_key"]
ROOT_URLCONF = "bench._peers_urls"
