"""``evenet bench generate``: events/s per process (Pythia + detector + ROOT
writing) on one core, at ``--level`` (default: process, the hard process),
against a floor of 5000 events/s (set for the process level).

Each process is timed twice: a 1-event file (the fixed cost of a file:
Pythia initialisation, about a second per decay channel, and file creation)
and an N-event file. Printed are the overall rate of the N-event file, the
fixed cost, and the per-event rate once initialised, (N - 1) / (t_N - t_1),
which is what a job of many events approaches; the ratio to the floor is
given for both rates.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

FLOOR_EVENTS_PER_S = 5000.0
DEFAULT_PROCESSES = ["ttbar_1l", "ttbar_2l", "ttbar_2l_spin", "wjets", "qcd", "xyh", "haa4b", "dimuon"]


def add_parser(subparsers) -> None:
    from evenet.sim.processes import SIMULATION_LEVELS

    parser = subparsers.add_parser("generate", help="events/s of evenet generate per process", description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--processes", nargs="+", default=DEFAULT_PROCESSES)
    parser.add_argument("--format", choices=("nanoaod", "delphes"), default="nanoaod")
    parser.add_argument("--level", choices=SIMULATION_LEVELS, default="process")
    parser.set_defaults(func=run)


def _timed(process: str, n_events: int, path: Path, fmt: str, level: str) -> float:
    from evenet.sim.processes import NON_PYTHIA_PROCESSES, get_process
    from evenet.sim.sample import generate_sample

    # Processes decayed outside Pythia (or not made by Pythia) exist at process level only.
    if process in NON_PYTHIA_PROCESSES or get_process(process).spin_correlated_ttbar:
        level = "process"
    start = time.perf_counter()
    generate_sample(process, n_events, 1, 0, path, fmt, level=level)
    return time.perf_counter() - start


def run(args) -> int:
    print(f"level {args.level} (ttbar_2l_spin and dimuon are always process level), format {args.format}, one core")
    print(f"{'process':16s} {'events':>8s} {'overall ev/s':>13s} {'x floor':>8s} {'fixed s':>8s} {'per-event ev/s':>15s} {'x floor':>8s}")
    with tempfile.TemporaryDirectory() as tmp:
        for process in args.processes:
            fixed = _timed(process, 1, Path(tmp) / f"{process}_1.root", args.format, args.level)
            total = _timed(process, args.events, Path(tmp) / f"{process}.root", args.format, args.level)
            overall = args.events / total
            per_event = (args.events - 1) / max(total - fixed, 1e-9)
            print(f"{process:16s} {args.events:8d} {overall:13.0f} {overall / FLOOR_EVENTS_PER_S:8.2f} {fixed:8.2f}"
                  f" {per_event:15.0f} {per_event / FLOOR_EVENTS_PER_S:8.2f}")
    return 0
