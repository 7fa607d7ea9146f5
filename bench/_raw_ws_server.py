"""The baseline for bench/ws_fanout.py: a minimal raw `websockets` broadcaster.

It speaks just enough of the protocol (authenticate → success, subscribe → ack; no key
check) and does the same fan-out work as Keyward's feed: a per-(symbol, exchange)
interest index of subscribed sockets, each tick's frame built once per symbol by the
very same function (``trading.feed.market_data_frame``, stamped with one ``now_ms()``
per tick like ``FeedHub.publish_once``) and that one string sent to every subscriber,
on the same timer (interval minus work, never under 1 ms). So the comparison isolates
what daphne + Channels + our consumer and outboxes cost over a bare server.

    python bench/_raw_ws_server.py --fd FD --rate TICKS_PER_SECOND   (FD: a listening socket)
    python bench/_raw_ws_server.py --port PORT --rate TICKS_PER_SECOND

Prints "ready" on stdout once it accepts connections (bench/_server.py waits for it).
Compression off, as daphne (autobahn's defaults) accepts no permessage-deflate either.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

interest: dict[tuple[str, str], set] = {}


async def handler(connection) -> None:
    import websockets

    mine: set[tuple[str, str]] = set()
    try:
        async for text in connection:
            message = json.loads(text)
            action = message.get("action")
            if action in ("authenticate", "auth"):
                await connection.send(json.dumps({"type": "auth", "status": "success", "broker": "sandbox"}))
            elif action == "subscribe":
                items = message.get("symbols") or [{"symbol": message["symbol"], "exchange": message["exchange"]}]
                for item in items:
                    pair = (item["symbol"].upper(), item["exchange"].upper())
                    interest.setdefault(pair, set()).add(connection)
                    mine.add(pair)
                await connection.send(json.dumps({"type": "subscribe", "status": "success"}))
    except websockets.ConnectionClosed:
        pass
    finally:
        for pair in mine:
            subscribers = interest.get(pair)
            if subscribers is not None:
                subscribers.discard(connection)
                if not subscribers:
                    del interest[pair]


async def publish(rate: float) -> None:
    from websockets.asyncio.server import broadcast

    from trading.feed import market_data_frame
    from trading.stream_protocol import now_ms

    loop = asyncio.get_running_loop()
    interval = 1.0 / rate
    while True:
        started = loop.time()
        timestamp = now_ms()
        for (symbol, exchange), connections in list(interest.items()):
            broadcast(list(connections), market_data_frame(symbol, exchange, 1, 0, timestamp))
        await asyncio.sleep(max(interval - (loop.time() - started), 0.001))


async def serve(listener: socket.socket, rate: float) -> None:
    from websockets.asyncio.server import serve as ws_serve

    async with ws_serve(handler, sock=listener, compression=None, max_queue=None):
        print("ready", flush=True)
        await publish(rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="an already listening socket")
    where.add_argument("--port", type=int)
    parser.add_argument("--rate", type=float, required=True, help="ticks per second per symbol")
    args = parser.parse_args()

    import django

    django.setup()  # market_data_frame reads MARKET_SEED from the settings
    if args.fd is not None:
        listener = socket.socket(fileno=args.fd)
    else:
        listener = socket.create_server(("127.0.0.1", args.port), backlog=512)
    try:
        asyncio.run(serve(listener, args.rate))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
