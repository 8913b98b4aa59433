"""Watch rooms of the live feed: a plain WebSocket client of the notifier (docs/notifier.md).

    uv run python scripts/feed.py --room project:<id> [--room workspace:<id>] --token <JWT>
        [--url ws://127.0.0.1:8004/ws] [--since N --epoch E]

Prints each frame as it arrives, one JSON object a line; stops on Ctrl-C or when the server
closes the connection (saying why).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


async def watch(args: argparse.Namespace) -> int:
    async with connect(args.url) as connection:
        await connection.send(json.dumps({"op": "auth", "token": args.token}))
        for room in args.room:
            subscribe: dict[str, object] = {"op": "subscribe", "room": room}
            if args.since is not None:
                subscribe |= {"since": args.since, "epoch": args.epoch}
            await connection.send(json.dumps(subscribe))
        try:
            async for frame in connection:
                print(frame, flush=True)
        except ConnectionClosed as closed:
            received = closed.rcvd
            why = f"{received.code} {received.reason}" if received else "no close frame"
            print(f"closed by the server: {why}", file=sys.stderr)
            return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--url", default=os.environ.get("TASKWIRE_FEED_URL", "ws://127.0.0.1:8004/ws")
    )
    parser.add_argument("--token", required=True, help="a bearer token (uv run taskwire-token)")
    parser.add_argument("--room", action="append", required=True, help="project:<id>, ...")
    parser.add_argument("--since", type=int, help="resume after this sequence number")
    parser.add_argument("--epoch", help="the epoch that number belongs to")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(watch(args)))


if __name__ == "__main__":
    main()
