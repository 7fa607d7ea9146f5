"""Bench-only settings for bench/ping_cost.py: the product's settings with
bench/_cost_urls.py as the URLconf. Never used by the product (not in config/)."""
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench._cost_urls"
