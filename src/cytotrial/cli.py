"""Command line: ``python -m cytotrial simulate --out DIR --seed N``."""

from __future__ import annotations

import argparse
import logging
import sys

from cytotrial.errors import InputError
from cytotrial.io.logs import log_to_file
from cytotrial.simulate.trial import DEFAULT_EVENTS_PER_FILE, DEFAULT_SEED

__all__ = [
    "main",
]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cytotrial", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser(
        "simulate",
        help="write the simulated demo trial (clinical tables, FCS files, ground truth)",
    )
    simulate.add_argument("--out", required=True, help="output folder")
    simulate.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    simulate.add_argument(
        "--events-per-file",
        type=int,
        default=DEFAULT_EVENTS_PER_FILE,
        help=f"events per FCS file (default {DEFAULT_EVENTS_PER_FILE})",
    )
    simulate.add_argument("--threads", type=int, default=1, help="files written in parallel")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    log_to_file(None)
    try:
        if args.command == "simulate":
            from cytotrial.simulate.trial import simulate_trial

            if args.events_per_file < 1:
                raise InputError("--events-per-file must be at least 1")
            summary = simulate_trial(args.out, args.seed, args.events_per_file, args.threads)
            print(
                f"wrote {summary.patients} patients and {summary.samples} FCS files "
                f"({summary.events_per_file} events each, fewer in the too-small ones; "
                f"{summary.scenario_samples} scenario files listed in truth/scenarios.tsv) "
                f"to {summary.out_dir}"
            )
    except InputError as exc:
        logging.getLogger("cytotrial").error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
