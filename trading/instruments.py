"""What the trading API and the market-data stream accept as an instrument: the exchanges,
a symbol's shape and the depth levels. REST validation, the simulated market and the
WebSocket consumer all read these, so both transports accept the same set. Which symbols
are listed on each exchange is the instrument master's (trading/instrument_master.py)."""
from __future__ import annotations

import re

ORDER_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")  # where orders may be placed
EXCHANGES = ORDER_EXCHANGES + ("BCD", "NSE_INDEX", "BSE_INDEX", "MCX_INDEX")  # quotable and streamable
DEPTH_LEVELS = (5, 20, 30, 50)
MAX_DEPTH_LEVELS = max(DEPTH_LEVELS)
SYMBOL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9&_.\-]{0,49}$")  # as written after normalize_symbol


def normalize_symbol(symbol: str) -> str:
    return symbol.strip().upper()


def is_valid_symbol(symbol: object) -> bool:
    return isinstance(symbol, str) and bool(SYMBOL_PATTERN.match(symbol))
