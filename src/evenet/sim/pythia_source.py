"""Run Pythia 8 (``pythia8mc``) for a process and read its record into a :class:`GenRecord`.

Three simulation levels (``LEVELS``):

* ``process``: the hard process plus resonance decays only (Pythia's ``process``
  record, PartonLevel and HadronLevel off).
* ``parton``: adds initial- and final-state QCD radiation (no MPI, no QED
  shower, no hadronisation, no decays) and reads the ``event`` record: jets are
  clustered from the showered partons, so they carry radiation, out-of-cone
  losses and extra jets from ISR at a few hundred events per second.
* ``hadron``: full Pythia (ISR/FSR, MPI, hadronisation, decays); slow.
"""

from __future__ import annotations

import numpy as np
import pythia8mc

from evenet.errors import ConfigError
from evenet.sim.processes import SIMULATION_LEVELS, Process
from evenet.sim.record import PYTHIA_FIRST_KEPT, GenRecord

PYTHIA_MAX_SEED = 900_000_000
LEVELS = {
    "process": ["PartonLevel:all = off", "HadronLevel:all = off"],
    # QED radiation is off so final photons and leptons stay the hard-process ones.
    "parton": ["PartonLevel:MPI = off", "HadronLevel:all = off",
               "SpaceShower:QEDshowerByQ = off", "SpaceShower:QEDshowerByL = off",
               "TimeShower:QEDshowerByQ = off", "TimeShower:QEDshowerByL = off"],
    "hadron": [],
}


def pythia_seed(seed: int, part: int, stream: int) -> int:
    """A Pythia seed in [1, 900000000] derived from (seed, part, stream)."""
    state = np.random.SeedSequence([seed, part, stream, 0x50797468]).generate_state(1)[0]
    return int(state) % PYTHIA_MAX_SEED + 1


def make_pythia(settings: list[str], seed: int, level: str, process_name: str) -> pythia8mc.Pythia:
    if level not in LEVELS:
        raise ConfigError(f"--level: must be one of {list(SIMULATION_LEVELS)}, got {level!r}")
    pythia = pythia8mc.Pythia("", False)
    common = ["Print:quiet = on", "Next:numberCount = 0", "Random:setSeed = on", f"Random:seed = {seed}"]
    for line in common + LEVELS[level] + settings:
        if not pythia.readString(line):
            raise ConfigError(f"process {process_name!r}: Pythia rejected setting {line!r}")
    if not pythia.init():
        raise ConfigError(f"process {process_name!r}: Pythia initialisation failed (check --params)")
    return pythia


def read_events(pythia: pythia8mc.Pythia, n_events: int, level: str) -> tuple[GenRecord, float]:
    """Generate ``n_events`` and return the record and Pythia's cross-section estimate (pb)."""
    counts: list[int] = []
    rows: list[tuple] = []
    first = PYTHIA_FIRST_KEPT
    while len(counts) < n_events:
        if not pythia.next():
            continue
        event = pythia.process if level == "process" else pythia.event
        size = event.size()
        rows.extend([(p.id(), p.status(), p.mother1(), p.px(), p.py(), p.pz(), p.e())
                     for p in (event[i] for i in range(first, size))])
        counts.append(size - first)
    record = GenRecord.from_rows(counts, rows)
    record.mother1 = np.where(record.mother1 >= first, record.mother1 - first, -1).astype(np.int32)
    return record, pythia.infoPython().sigmaGen() * 1e9


def generate_process(process: Process, params: dict, n_events: int, seed: int, part: int,
                     level: str = "process") -> tuple[GenRecord, float]:
    """Events of ``process`` mixed over its channels; returns (record, cross section estimate in pb)."""
    channels = process.settings(params)
    rng = np.random.default_rng([seed, part, 0x6368])
    choice = rng.integers(len(channels), size=n_events)
    records, sigmas = [], []
    for index, settings in enumerate(channels):
        wanted = int((choice == index).sum())
        pythia = make_pythia(settings, pythia_seed(seed, part, index), level, process.name)
        record, sigma = read_events(pythia, wanted, level)
        records.append(record)
        sigmas.append(sigma)
    mixed = GenRecord.concatenate(records)
    # Put events back in the per-event channel order drawn above.
    position_in_mixed = np.empty(n_events, dtype=np.int64)
    start = 0
    for index in range(len(channels)):
        where = np.flatnonzero(choice == index)
        position_in_mixed[where] = start + np.arange(len(where))
        start += len(where)
    mixed = mixed.interleave(position_in_mixed)
    for old, new in process.pdg_relabel.items():
        mixed.pdg = np.where(np.abs(mixed.pdg) == old, np.sign(mixed.pdg) * new, mixed.pdg).astype(np.int32)
    # Mirrored channels each carry their own share of the cross section: sum them.
    return mixed, float(np.sum(sigmas))
