"""`taskwire-token`: mint a development token for a user (HS256, the configured secret)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from uuid import UUID

from taskwire.common.auth import mint_token
from taskwire.common.ids import new_id
from taskwire.common.settings import ServiceSettings, load_local_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a development JWT for a Taskwire user.")
    parser.add_argument("--sub", type=UUID, default=None, help="user id (default: a new UUID)")
    parser.add_argument("--email", default="dev@taskwire.test")
    parser.add_argument("--name", default="Dev User")
    parser.add_argument("--picture", default=None)
    parser.add_argument("--hours", type=float, default=12.0, help="lifetime in hours")
    args = parser.parse_args(argv)
    settings = load_local_settings(ServiceSettings)
    try:
        token = mint_token(
            settings,
            args.sub or new_id(),
            args.email,
            args.name,
            picture=args.picture,
            ttl=timedelta(hours=args.hours),
        )
    except ValueError as exc:
        sys.exit(f"taskwire-token: {exc}")
    print(token)


if __name__ == "__main__":
    main()
