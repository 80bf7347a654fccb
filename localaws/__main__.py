"""`python -m localaws [--port N] [--verbose]`: serve the local AWS until Ctrl-C.

The strict-AWS rules are on (`--list-rules` prints them; `--skip-rule ID` leaves one out).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .rules import RULE_IDS, describe_rules
from .server import EmulatorError, LocalAws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localaws", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--region", default="us-east-1", help="region for the printed example (default us-east-1)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--list-rules", action="store_true", help="print the strict-AWS rules (id, title, AWS doc) and exit"
    )
    parser.add_argument(
        "--skip-rule",
        action="append",
        default=[],
        metavar="ID",
        choices=RULE_IDS,
        help="leave out one strict-AWS rule (repeatable)",
    )
    parser.add_argument(
        "--account-concurrency",
        type=int,
        metavar="N",
        help="account Lambda concurrency limit for rule LAMBDA001 (default: "
        "$PAYINFRA_EMULATOR_ACCOUNT_CONCURRENCY or 1000)",
    )
    args = parser.parse_args(argv)
    if args.list_rules:
        print("\n".join(describe_rules()))
        return 0
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0-65535, not {args.port}")
    if args.account_concurrency is not None and args.account_concurrency < 1:
        parser.error(f"--account-concurrency must be a positive integer, not {args.account_concurrency}")

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        aws = LocalAws(
            port=args.port, primary_region=args.region, skip_rules=set(args.skip_rule), quiet=not args.verbose
        ).start()
        if args.account_concurrency is not None:
            aws.set_account_concurrency(args.account_concurrency)
    except EmulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        env = " ".join(f"{k}={v}" for k, v in aws.env().items())
        print(f"Local AWS (moto, fixed for this project) at {aws.endpoint_url}", flush=True)
        on = [rule for rule in RULE_IDS if rule not in args.skip_rule]
        print(f"  strict-AWS rules on: {', '.join(on) or 'none'} (--list-rules describes them)")
        print(f"  environment: {env}")
        print(
            f"  try: AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"aws --endpoint-url {aws.endpoint_url} --region {args.region} cloudformation list-stacks"
        )
        print("Ctrl-C stops it.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        aws.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
