"""Bench-only settings: the product's settings plus djangorestframework-api-key and the
URLs of bench/_bench_urls.py, for bench/auth_overhead.py. Never used by the product.

Servers run it with DJANGO_SETTINGS_MODULE=bench._bench_settings (``bench`` imports as a
namespace package from the project root, the servers' working directory), so the
comparison views live in the same process as ping, behind the same middleware.
"""
from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_api_key"]
ROOT_URLCONF = "bench._bench_urls"
