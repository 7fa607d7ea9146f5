"""What a platform key may do: OpenAlgo's own MCP scope names, and how a view asks for one.

A view that accepts platform keys names the one scope it needs in ``required_scope`` (see
``apikeys.permissions.KeyScopeRequired``); a view that names none needs every scope, so
an endpoint nobody classified is open to full keys only, never to a narrowed one.
"""
from __future__ import annotations

READ_MARKET = "read:market"
READ_ACCOUNT = "read:account"
WRITE_ORDERS = "write:orders"

ALL_SCOPES: tuple[str, ...] = (READ_MARKET, READ_ACCOUNT, WRITE_ORDERS)
DESCRIPTIONS = {
    READ_MARKET: "Quotes, depth, history, instruments, option data and the WebSocket stream",
    READ_ACCOUNT: "Funds, order / trade / position books, holdings and status",
    WRITE_ORDERS: "Place, modify, cancel and close orders and positions",
}

# ``required_scope = ANY_KEY``: any valid key may call the view (ping).
ANY_KEY = ""


def all_scopes() -> list[str]:
    """A new key's scopes (a callable: a model default must not be a shared list)."""
    return list(ALL_SCOPES)


def normalized(scopes) -> list[str]:
    """``scopes`` as a sorted list of known scope names; ValueError names an unknown one."""
    if not isinstance(scopes, (list, tuple)):
        raise ValueError("scopes must be a list")
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}: use {', '.join(ALL_SCOPES)}")
    return [s for s in ALL_SCOPES if s in scopes]


def lacks_message(scope: str) -> str:
    return f"This API key lacks the {scope} scope"
