"""``python -m avt_notes.web [--host H] [--port P]``: the server without the full CLI.

Starts faster than `avt-notes serve` because no other command module is
imported; the crash-recovery tests use it to restart the server many times.
"""

from __future__ import annotations

import argparse

from avt_notes.web.app import run_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m avt_notes.web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    run_server(args.host, args.port, args.log_level)


if __name__ == "__main__":
    main()
