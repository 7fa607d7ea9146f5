"""The reference data the project ships (trading/data/*.csv), read once per process:
the listed equities and the exchanges' holiday calendar."""
from __future__ import annotations

import csv
import functools
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> tuple[dict[str, str], ...]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@functools.cache
def equities() -> tuple[dict[str, str], ...]:
    """symbol, name, price (reference), lot_size (F&O lot; 0 when not in F&O),
    day_volume (typical shares a day), fno (1 when futures are listed)."""
    return _rows("equities.csv")


@functools.cache
def holidays() -> tuple[dict[str, str], ...]:
    """date, description, holiday_type, closed (exchanges, space-separated), open
    ("EXCHANGE HH:MM-HH:MM" IST sessions, semicolon-separated)."""
    return _rows("market_holidays.csv")
