"""Which TCP connections of this host have a peer that stopped reading.

daphne hands the application no back-pressure: every frame a consumer sends is buffered
in the server until the client reads it, so a client that never reads grows the server's
memory without bound. The kernel knows who stopped reading: a peer whose receive buffer
is full advertises a zero window, and the sending side then runs its zero-window probe
timer, which Linux shows per connection in /proc/net/tcp and /proc/net/tcp6 (the "tr"
column, 4). Elsewhere, or where /proc cannot be read, no connection is ever reported.
"""
from __future__ import annotations

import ipaddress
import socket
import struct

ZERO_WINDOW_PROBE_TIMER = 4
TABLES = ("/proc/net/tcp", "/proc/net/tcp6")

Address = tuple[str, int]


def normalized(host: str, port: int) -> Address:
    """An address as the tables here spell it (an IPv4-mapped IPv6 one as IPv4)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host, int(port)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip), int(port)


def _address(field: str) -> Address:
    """"0100007F:1F90" → ("127.0.0.1", 8080): each 32-bit word in host byte order."""
    host_hex, port_hex = field.split(":")
    words = [int(host_hex[i:i + 8], 16) for i in range(0, len(host_hex), 8)]
    packed = b"".join(struct.pack("=I", word) for word in words)
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return normalized(socket.inet_ntop(family, packed), int(port_hex, 16))


def stalled_connections() -> set[tuple[Address, Address]]:
    """(local, remote) of every connection whose peer advertises a zero window now."""
    found = set()
    for table in TABLES:
        try:
            with open(table) as rows:
                next(rows, None)  # the header
                for row in rows:
                    fields = row.split()
                    if len(fields) > 5 and int(fields[5].split(":")[0], 16) == ZERO_WINDOW_PROBE_TIMER:
                        found.add((_address(fields[1]), _address(fields[2])))
        except (OSError, ValueError):
            continue
    return found
