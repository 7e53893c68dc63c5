"""``evenet bench generate``: events/s per process in the default mode
(Pythia hard process + detector + ROOT writing), on one core, against a
floor of 5000 events/s for ttbar."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

FLOOR_EVENTS_PER_S = 5000.0
DEFAULT_PROCESSES = ["ttbar_1l", "ttbar_2l_spin", "wjets", "qcd", "xyh", "haa4b", "dimuon"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="events/s of evenet generate per process", description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--processes", nargs="+", default=DEFAULT_PROCESSES)
    parser.add_argument("--format", choices=("nanoaod", "delphes"), default="nanoaod")
    parser.set_defaults(func=run)


def run(args) -> int:
    from evenet.sim.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        for process in args.processes:
            start = time.perf_counter()
            generate_sample(process, args.events, 1, 0, Path(tmp) / f"{process}.root", args.format)
            rate = args.events / (time.perf_counter() - start)
            print(f"{process:16s} {args.events:8d} events {rate:10.0f} events/s  ratio to floor {rate / FLOOR_EVENTS_PER_S:5.2f}")
    return 0
