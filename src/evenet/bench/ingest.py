"""``evenet bench ingest FILE``: events/s of ingest + preselect + build, against a bare uproot
read of the same branches of the same file, measured in one run.

The pipeline side runs the stages back to back in memory (reader -> selection
-> truth targets -> point-cloud arrays -> compressed HDF5), the work that the
ingest, select and build rules do minus their Parquet hand-over; both sides
read the branches the selection and truth config need, as the workflow does. It is timed
twice: all in one thread, and as the pipeline runs by default, with the next
chunk read (decompressed) in a background thread while the current one is
processed. ``--repeat N``
first writes a copy of FILE with its events repeated N times (e.g. the shared
200-event ttbar file x 500 = 100k events).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from evenet.io.branches import STEP_SIZE


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ingest", help="events/s of ingest+preselect+build vs a bare uproot read", description=__doc__)
    p.add_argument("file", help="NanoAOD or Delphes ROOT file")
    p.add_argument("--format", choices=("nanoaod", "delphes"), default="nanoaod")
    p.add_argument("--selection", default="pretrain", help="preselection to run (default: pretrain)")
    p.add_argument("--selections", default="config/selections.yaml", help="selection parameters YAML")
    p.add_argument("--truth", default='{"max_invisible": 2}', help="truth config JSON, as for evenet select")
    p.add_argument("--repeat", type=int, default=1, help="repeat the file's events N times first")
    p.add_argument("--step-size", type=int, default=STEP_SIZE, help="events per chunk, for both sides (the pipeline's default)")
    p.set_defaults(func=run)


def _repeated_copy(source: Path, fmt: str, needs, repeat: int, target: Path) -> None:
    """Write the branches the reader uses, with the events repeated ``repeat`` times."""
    import awkward as ak
    import numpy as np
    import uproot

    from evenet.io.reader import plan_file

    plan = plan_file(source, fmt, needs)
    branches = sorted(set(plan.branches.values()))
    arrays = plan.tree.arrays(filter_name=branches, library="ak")
    n = len(arrays)
    index = np.tile(np.arange(n), repeat)
    data = {name: arrays[name][index] for name in branches}
    for key in ("event", "Event.Number"):
        if key in data and data[key].ndim == 1:  # keep event identities unique for the split
            data[key] = np.arange(1, n * repeat + 1, dtype=np.uint64)
    with uproot.recreate(target) as out:
        tree = out.mktree(plan.tree.name, {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()})
        tree.extend(data)


def _bare_read(path: Path, fmt: str, needs, step_size: int) -> int:
    from evenet.io.reader import plan_file

    plan = plan_file(path, fmt, needs)
    n = 0
    for chunk in plan.tree.iterate(filter_name=sorted(set(plan.branches.values())), step_size=step_size, library="ak"):
        n += len(chunk)
    return n


def _pipeline(path: Path, fmt: str, job, needs, output: Path, step_size: int, read_ahead: bool = True) -> int:
    from evenet.io.reader import iterate_events
    from evenet.pipeline.build import FEATURES, chunk_datasets
    from evenet.pipeline.select import selected_record
    from evenet.pointcloud.writer import PointCloudWriter
    from evenet.selection.preselections import select

    n = 0
    writer = PointCloudWriter(output, {"bench": True})
    for events in iterate_events(path, fmt, step_size=step_size, needs=needs, read_ahead=read_ahead):
        result = select(events, job.selection, job.selection_params)
        selected = selected_record(result.events, job, 1.0, "GenPart" in events.fields)
        writer.append(chunk_datasets(selected), FEATURES)
        n += len(events)
    writer.close()
    return n


def run(args) -> int:
    from evenet.commands.select import json_arg
    from evenet.config import load_yaml
    from evenet.pipeline.ingest import stream_record_needs
    from evenet.pipeline.select import SelectJob
    from evenet.truth.targets import TruthConfig
    from evenet.truth.topology import parse_resonances

    truth = json_arg(args.truth, "truth")
    job = SelectJob(
        selection=args.selection,
        selection_params=load_yaml(args.selections)[args.selection],
        label=0, xsec_pb=1.0, lumi_pb=1.0,
        split_fractions={"train": 0.8, "val": 0.1, "test": 0.1}, split_seed=0,
        truth=TruthConfig(tuple(parse_resonances(truth.get("resonances", {}))), max_invisible=int(truth.get("max_invisible", 0))),
    )
    needs = stream_record_needs(job.selection, job.selection_params, truth)  # what the workflow's ingest reads
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.file)
        if args.repeat > 1:
            path = Path(tmp) / "repeated.root"
            _repeated_copy(Path(args.file), args.format, needs, args.repeat, path)
        # Warm-up on the same file (page cache, numba compilation), then one timed pass each.
        _bare_read(path, args.format, needs, args.step_size)
        _pipeline(Path(args.file), args.format, job, needs, Path(tmp) / "warm.h5", args.step_size)
        start = time.perf_counter()
        n_bare = _bare_read(path, args.format, needs, args.step_size)
        bare_s = time.perf_counter() - start
        start = time.perf_counter()
        n_serial = _pipeline(path, args.format, job, needs, Path(tmp) / "serial.h5", args.step_size, read_ahead=False)
        serial_s = time.perf_counter() - start
        start = time.perf_counter()
        n_pipe = _pipeline(path, args.format, job, needs, Path(tmp) / "out.h5", args.step_size)
        pipe_s = time.perf_counter() - start
    bare_rate, serial_rate, pipe_rate = n_bare / bare_s, n_serial / serial_s, n_pipe / pipe_s
    print(f"file        {args.file} x{args.repeat} ({n_pipe} events, {args.format}, selection {args.selection})")
    print(f"bare uproot read (1 thread)            {bare_rate:10.0f} events/s  ({bare_s:.2f} s)")
    print(f"ingest+preselect+build, 1 thread       {serial_rate:10.0f} events/s  ({serial_s:.2f} s)  ratio {serial_rate / bare_rate:.2f}")
    print(f"ingest+preselect+build, read-ahead     {pipe_rate:10.0f} events/s  ({pipe_s:.2f} s)  ratio {pipe_rate / bare_rate:.2f}")
    print(json.dumps({"events": n_pipe, "bare_events_per_s": bare_rate, "serial_events_per_s": serial_rate,
                      "pipeline_events_per_s": pipe_rate, "ratio": pipe_rate / bare_rate,
                      "serial_ratio": serial_rate / bare_rate}))
    return 0
