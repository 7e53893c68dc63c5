"""Chunked reading of NanoAOD and Delphes files into the event record.

``iterate_events(path, fmt, needs=...)`` yields ``awkward.Array`` chunks with
the fields of :mod:`evenet.io.events` that ``needs`` asks for; memory stays
bounded by ``step_size`` whatever the file size. Every failure a user can fix
is an :class:`InputFileError` whose one line names the file (and the branch or
tree).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import awkward as ak
import numpy as np
import uproot
from tqdm.auto import tqdm

from evenet.errors import InputFileError
from evenet.io import branches as B
from evenet.io.delphes import finish_delphes_chunk
from evenet.io.events import EVENT_ID_DELPHES, EVENT_ID_ENTRY, EVENT_ID_RUN_LUMI_EVENT, KINEMATIC_FIELDS
from evenet.io.needs import FULL_RECORD, RecordNeeds

log = logging.getLogger(__name__)

FORMATS = B.FORMATS
STEP_SIZE = B.STEP_SIZE
TREE_NAME = {"nanoaod": "Events", "delphes": "Delphes"}


@dataclass(frozen=True)
class FilePlan:
    """What will be read from one file: the branches, and which parts of the record it fills."""

    path: Path
    fmt: str
    tree: uproot.TTree
    branches: dict[str, str]
    """flat key 'Collection.field' (or scalar name) -> branch name"""
    collections: tuple[str, ...]
    """collections read from the file"""
    empty: tuple[str, ...]
    """optional collections the file lacks: read as empty"""
    has_met: bool
    met_wanted: bool
    triggers: tuple[str, ...]
    """trigger bits, named without the HLT_ prefix"""
    event_id: str
    """how events are identified: one of evenet.io.events.EVENT_IDS"""
    has_generator_weight: bool

    @property
    def has_truth(self) -> bool:
        return "GenPart" in self.collections

    def read_keys(self) -> list[str]:
        """Record keys (evenet.io.needs) this plan fills from the file."""
        known = B.collections(self.fmt)
        keys = set(self.collections) | {k for k in self.branches if "." in k and not k.startswith("MET.")}
        keys |= {f"{name}.{f}" for name in self.collections for f in known[name].derived_fields}
        keys |= {name for name, coll in known.items() if coll.source in self.collections}
        return sorted(keys | ({"MET"} if self.has_met else set()))

    @property
    def num_entries(self) -> int:
        return int(self.tree.num_entries)


def open_tree(path: str | Path, fmt: str) -> uproot.TTree:
    """Open the format's tree, or fail with one line naming the file."""
    if fmt not in FORMATS:
        raise InputFileError(f"{path}: unknown input format {fmt!r} (known: {', '.join(FORMATS)})")
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        root_file = uproot.open(path)
    except Exception as exc:  # uproot raises many types for corrupt files
        raise InputFileError(f"{path}: not a readable ROOT file ({type(exc).__name__}: {exc})") from None
    name = TREE_NAME[fmt]
    if not root_file.keys():
        raise InputFileError(f"{path}: not a readable ROOT file (no objects in it: truncated or corrupt?)")
    try:
        tree = root_file[name]
    except Exception:
        raise InputFileError(f"{path}: no '{name}' tree (is this really a {fmt} file?)") from None
    if not isinstance(tree, uproot.TTree):
        raise InputFileError(f"{path}: '{name}' is a {type(tree).__name__}, not a TTree (RNTuple input is not supported yet)")
    return tree


def _branch_names(tree: uproot.TTree) -> set[str]:
    # Leaf names: flat files have 'Jet.PT' at top level, real Delphes files
    # nest it as 'Jet/Jet.PT'; uproot resolves both by the leaf name.
    return {key.rsplit("/", 1)[-1] for key in tree.keys(recursive=True)}


def plan_file(path: str | Path, fmt: str, needs: RecordNeeds = FULL_RECORD) -> FilePlan:
    """Check that the file has what ``needs`` requires and list the branches to read."""
    tree = open_tree(path, fmt)
    available = _branch_names(tree)

    def need(branch: str) -> str:
        if branch not in available:
            raise InputFileError(f"{path}: missing branch '{branch}'")
        return branch

    wanted, read, empty = _plan_collections(path, fmt, needs, available, need)
    requested_met = needs.collections.get("MET")
    met = B.NANOAOD_MET if fmt == "nanoaod" else B.DELPHES_MET
    has_met = requested_met is not None and all(branch in available for branch in met.values())
    if requested_met:
        wanted.update({f"MET.{fld}": need(branch) for fld, branch in met.items()})
    elif has_met:
        wanted.update({f"MET.{fld}": branch for fld, branch in met.items()})
    for trigger in needs.triggers:
        if fmt != "nanoaod":
            raise InputFileError(f"{path}: {fmt} files have no trigger bits (asked for {B.NANOAOD_TRIGGER_PREFIX}{trigger})")
        wanted[f"HLT.{trigger}"] = need(B.NANOAOD_TRIGGER_PREFIX + trigger)

    if fmt == "nanoaod" and all(b in available for b in B.NANOAOD_EVENT_ID.values()):
        event_id = EVENT_ID_RUN_LUMI_EVENT
        wanted.update(B.NANOAOD_EVENT_ID)
    elif fmt == "delphes" and B.DELPHES_EVENT_NUMBER in available:
        event_id = EVENT_ID_DELPHES
        wanted["event"] = B.DELPHES_EVENT_NUMBER
    else:
        event_id = EVENT_ID_ENTRY
    weight_branch = B.NANOAOD_WEIGHT if fmt == "nanoaod" else B.DELPHES_WEIGHT
    has_weight = weight_branch in available
    if has_weight:
        wanted["genWeight"] = weight_branch
    return FilePlan(Path(path), fmt, tree, wanted, read, empty, has_met, requested_met is not None,
                    needs.triggers, event_id, has_weight)


def _plan_collections(path, fmt: str, needs: RecordNeeds, available: set[str], need):
    """(branches, collections read, optional collections the file lacks) for the collections ``needs`` names."""
    known = B.collections(fmt)
    requested = {name: required for name, required in needs.collections.items() if name != "MET"}
    for name, required in list(requested.items()):
        source = known[name].source
        if source is not None:  # Delphes taus are cut out of the jets
            requested[source] = requested.get(source, False) or required
    wanted: dict[str, str] = {}
    read, empty = [], []
    for name, required in requested.items():
        coll = known[name]
        if coll.source is not None:
            continue
        if coll.presence_branch() not in available:
            if required:
                raise InputFileError(f"{path}: missing branch '{coll.presence_branch()}' (collection {name})")
            if name != "GenPart":  # a file without GenPart has no truth: the collection stays absent
                empty.append(name)
            continue
        read.append(name)
        wanted.update({f"{name}.{fld}": need(branch) for fld, branch in coll.branches.items()})
        wanted.update({f"{name}.{fld}": b for fld, b in coll.optional_branches.items() if b in available})
        for fld in needs.fields(name):
            if fld in coll.derived_fields:
                continue
            branch = coll.branch_of(fld)
            if branch is None:
                raise InputFileError(f"{path}: {fmt} files have no branch for {name}.{fld}")
            wanted[f"{name}.{fld}"] = need(branch)
    empty += [name for name in requested if known[name].source is not None and known[name].source not in read]
    return wanted, tuple(read), tuple(empty)


def _check_finite(path: Path, chunk: ak.Array, plan: FilePlan) -> None:
    """Refuse NaN/inf in kinematics: name the branch and the count."""
    for key, branch in plan.branches.items():
        field = key.rsplit(".", 1)[-1]
        if field not in KINEMATIC_FIELDS and key not in ("MET.pt", "MET.phi", "genWeight"):
            continue
        values = ak.to_numpy(ak.flatten(chunk[branch], axis=None))
        if values.dtype.kind != "f":
            continue
        bad = np.count_nonzero(~np.isfinite(values))
        if bad:
            raise InputFileError(f"{path}: {bad} non-finite (NaN or inf) values in branch '{branch}'")


def _per_event(array: ak.Array, default: float) -> ak.Array:
    """One value per event. Delphes stores event-level objects (MissingET, Event) as
    one-entry collections; their first entry is the event's value."""
    if array.ndim == 1:
        return array
    return ak.fill_none(ak.firsts(array, axis=1), default)


def _to_record(chunk: ak.Array, plan: FilePlan, entry_start: int) -> ak.Array:
    n = len(chunk)
    fields: dict[str, ak.Array] = {}
    for name in plan.collections:
        prefix = name + "."
        parts = {k[len(prefix):]: chunk[b] for k, b in plan.branches.items() if k.startswith(prefix)}
        fields[name] = ak.zip(parts)
    for name in plan.empty:
        fields[name] = _empty_collection(n)
    if plan.has_met:
        fields["MET"] = ak.zip({f: _per_event(chunk[plan.branches[f"MET.{f}"]], 0.0) for f in ("pt", "phi")}, depth_limit=1)
    else:
        fields["MET"] = ak.zip({f: np.zeros(n, dtype=np.float32) for f in ("pt", "phi")}, depth_limit=1)
    if plan.triggers:
        fields["HLT"] = ak.zip({t: ak.values_astype(chunk[plan.branches[f"HLT.{t}"]], bool) for t in plan.triggers}, depth_limit=1)
    if plan.has_generator_weight:
        fields["genWeight"] = ak.values_astype(_per_event(chunk[plan.branches["genWeight"]], 1.0), np.float64)
    else:
        fields["genWeight"] = np.ones(n, dtype=np.float64)
    index = np.arange(entry_start, entry_start + n, dtype=np.uint64)
    for key in ("run", "luminosityBlock", "event"):
        if key in plan.branches:
            fields[key] = ak.values_astype(_per_event(chunk[plan.branches[key]], 0), np.uint64)
        else:
            fields[key] = index if key == "event" else np.ones(n, dtype=np.uint64)
    record = ak.zip(fields, depth_limit=1)
    if plan.fmt == "delphes":
        record = finish_delphes_chunk(record)
    return record


def _empty_collection(n: int) -> ak.Array:
    offsets = np.zeros(n + 1, dtype=np.int64)
    empty = np.zeros(0, dtype=np.float32)
    content = ak.contents.RecordArray(
        [ak.contents.NumpyArray(empty) for _ in ("pt", "eta", "phi", "mass", "charge")],
        ["pt", "eta", "phi", "mass", "charge"],
    )
    return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets), content))


def _log_plan(path: str | Path, plan: FilePlan) -> None:
    """One line for each part of the record the file lacks."""
    if plan.empty:
        log.info("%s: no %s collection(s) in this file; read as empty", path, ", ".join(plan.empty))
    if plan.met_wanted and not plan.has_met:
        log.info("%s: no MET branches in this file; MET read as 0", path)
    if plan.event_id == EVENT_ID_ENTRY:
        log.info("%s: no event-number branches; events are identified by their entry index in the file", path)
    if not plan.has_generator_weight:
        log.info("%s: no generator weight; read as collision data (weight 1)", path)


def _read_ahead(iterator: Iterator, depth: int = 1) -> Iterator:
    """Run ``iterator`` in a background thread, ``depth`` items ahead of the consumer.

    uproot's decompression (zlib, lz4, zstd) releases the GIL, so reading the
    next chunk overlaps with processing the current one. Exceptions are
    re-raised in the consumer, in order.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        buffer.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((done, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((done, exc))

    thread = threading.Thread(target=produce, name="evenet-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = buffer.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def iterate_events(
    path: str | Path,
    fmt: str,
    step_size: int = STEP_SIZE,
    needs: RecordNeeds = FULL_RECORD,
    progress: bool = False,
    plan: FilePlan | None = None,
    read_ahead: bool = True,
) -> Iterator[ak.Array]:
    """Yield the file's events as record chunks of at most ``step_size`` events (an empty file: one empty chunk).

    Only what ``needs`` asks for is read (see :mod:`evenet.io.needs`). With
    ``read_ahead`` the next chunk is read in a background thread while the
    caller works on the current one (at most two chunks in memory).
    """
    plan = plan or plan_file(path, fmt, needs)
    _log_plan(path, plan)
    branch_list = sorted(set(plan.branches.values()))
    if plan.num_entries == 0:  # an empty but valid file gives one empty chunk with the full record type
        yield _to_record(plan.tree.arrays(filter_name=branch_list, entry_stop=0, library="ak"), plan, 0)
        return
    raw = plan.tree.iterate(filter_name=branch_list, step_size=step_size, library="ak")
    chunks = _read_ahead(raw) if read_ahead else raw
    bar = tqdm(total=plan.num_entries, unit="evt", desc=Path(path).name, disable=not progress, mininterval=1.0)
    start = 0
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as exc:
                raise InputFileError(f"{path}: read failed near entry {start} ({type(exc).__name__}: {exc})") from None
            _check_finite(plan.path, chunk, plan)
            yield _to_record(chunk, plan, start)
            start += len(chunk)
            bar.update(len(chunk))
    finally:
        bar.close()
        if read_ahead:
            chunks.close()


def sum_generator_weights(path: str | Path, fmt: str) -> tuple[float, int]:
    """(sum of generator weights, number of generated events) of one file.

    NanoAOD keeps the pre-skim totals in the ``Runs`` tree (``genEventSumw``,
    ``genEventCount``; older files suffix them with ``_``); without it, and for
    Delphes, the weights of the file's own events are summed. Collision data
    (no generator weight) count 1 per event.
    """
    tree = open_tree(path, fmt)
    if fmt == "nanoaod":
        runs = _runs_tree(path)
        if runs is not None:
            names = _branch_names(runs)
            for suffix in ("", "_"):
                if f"genEventSumw{suffix}" in names and f"genEventCount{suffix}" in names:
                    arrays = runs.arrays([f"genEventSumw{suffix}", f"genEventCount{suffix}"], library="np")
                    return float(arrays[f"genEventSumw{suffix}"].sum()), int(arrays[f"genEventCount{suffix}"].sum())
    weight_branch = B.NANOAOD_WEIGHT if fmt == "nanoaod" else B.DELPHES_WEIGHT
    if weight_branch not in _branch_names(tree):
        return float(tree.num_entries), int(tree.num_entries)
    total = 0.0
    for chunk in tree.iterate(filter_name=[weight_branch], step_size=1_000_000, library="ak"):
        total += float(ak.sum(ak.values_astype(chunk[weight_branch], np.float64), axis=None))
    return total, int(tree.num_entries)


def _runs_tree(path: str | Path) -> uproot.TTree | None:
    root_file = uproot.open(path)
    return root_file["Runs"] if "Runs" in root_file else None
