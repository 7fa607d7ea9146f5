"""What a verified key may do beyond being genuine: expiry, address allowlist, rate limit.

Plain functions over what the key's cache entry carries (``apikeys.key_cache.CachedKey``),
so a check needs no query; every change to these columns evicts the entry everywhere
(``apikeys.signals``). The same refusal applies over HTTP (``apikeys.authentication``)
and the WebSocket (``trading.consumers``); the client address is the one DRF's throttles
see (``NUM_PROXIES``).
"""
from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_RATE = re.compile(r"^\s*([1-9][0-9]{0,8})\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$", re.IGNORECASE)
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_ALLOWLIST_ENTRIES = 100


def parse_rate(rate: str) -> tuple[int, int] | None:
    """"10/s" → (10, 1), "600/min" → (600, 60); "" → None; ValueError for anything else."""
    if not rate:
        return None
    match = _RATE.match(rate)
    if match is None:
        raise ValueError('a rate is a count per period, e.g. "10/s", "600/min", "10000/hour" or "100000/day"')
    return int(match.group(1)), _PERIOD_SECONDS[match.group(2)[0].lower()]


def normalized_allowlist(entries: Iterable[object]) -> list[str]:
    """Addresses and CIDR networks as their canonical strings (a bare address is a /32 or
    /128 network); ValueError names the first entry that is neither."""
    result: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"{entry!r} is not an IP address or network")
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{entry.strip()!r} is not an IP address or network") from None
        network = _unmapped(network)
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        if text not in result:
            result.append(text)
    if len(result) > MAX_ALLOWLIST_ENTRIES:
        raise ValueError(f"at most {MAX_ALLOWLIST_ENTRIES} entries")
    return result


def _unmapped(network: Network) -> Network:
    """An IPv4-mapped IPv6 entry (``::ffff:10.0.0.1``, ``::ffff:10.0.0.0/104``) as the IPv4
    network it means: ``address_allowed`` compares a mapped client address as IPv4, so the
    entry as written would never match anything."""
    mapped = network.network_address.ipv4_mapped if network.version == 6 else None
    if mapped is None or network.prefixlen < 96:
        return network
    return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")


@functools.lru_cache(maxsize=4096)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The allowlist as networks, parsed once per distinct list (entries were validated on
    save; one that is not a network any more is skipped, so it allows nothing)."""
    parsed = []
    for entry in entries:
        try:
            parsed.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(parsed)


def address_allowed(ident: str, allowed: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:  # not an address (a forwarded header can say anything)
        return False
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:10.0.0.1
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in allowed)


def expired_message(expires_at: datetime) -> str:
    return f"This API key expired on {expires_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def refusal(*, expires_at: datetime | None, allowed: tuple[Network, ...], ident: str,
            now: datetime | None = None) -> str | None:
    """Why a genuine key is refused for this request (None: it is not)."""
    if expires_at is not None and expires_at <= (now or timezone.now()):
        return expired_message(expires_at)
    if allowed and not address_allowed(ident, allowed):
        return f"This API key is not allowed from {ident or 'an unknown address'} (IP allowlist)"
    return None
