"""Generate one ROOT file for one (process, part): generator -> detector -> writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import ConfigError
from evenet.sim.delphes import write_delphes
from evenet.sim.detector import reconstruct
from evenet.sim.genlist import gen_list
from evenet.sim.nanoaod import write_nanoaod
from evenet.sim.processes import NON_PYTHIA_PROCESSES, get_process
from evenet.sim.pythia_source import generate_process
from evenet.sim.truth_objects import process_level_candidates

FORMATS = ("nanoaod", "delphes")
DETECTOR_STREAM, DECAY_STREAM = 1, 2


def event_numbers(n_events: int, part: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(run, luminosityBlock, event): run 1, lumi part + 1, event part * n + i + 1."""
    i = np.arange(n_events, dtype=np.uint64)
    return (np.ones(n_events, np.uint32), np.full(n_events, part + 1, np.uint32),
            np.uint64(part) * np.uint64(n_events) + i + np.uint64(1))


def generate_sample(process: str, n_events: int, seed: int, part: int, output: str | Path, fmt: str = "nanoaod",
                    params: dict | None = None, detector: dict | None = None, level: str = "process") -> dict:
    """Write ``output`` and return a summary (events, Pythia cross-section estimate in pb)."""
    from evenet.sim.detector_config import load_detector_config

    params = dict(params or {})
    detector = detector or load_detector_config()
    if fmt not in FORMATS:
        raise ConfigError(f"--format: must be one of {FORMATS}, got {fmt!r}")
    if n_events < 0 or part < 0:
        raise ConfigError("--events and --part must be non-negative")
    run, lumi, event = event_numbers(n_events, part)
    if process in NON_PYTHIA_PROCESSES:
        from evenet.sim.dimuon import dimuon_sample

        reco = dimuon_sample(n_events, params, detector, np.random.default_rng([seed, part, DETECTOR_STREAM]))
        gen, weight, sigma = None, None, float("nan")
    else:
        spec = get_process(process)
        if level != "process" and spec.spin_correlated_ttbar:
            raise ConfigError("--level: ttbar_2l_spin is process level only (its decays are done after Pythia)")
        record, sigma = generate_process(spec, {k: v for k, v in params.items() if k not in ("C", "B1", "B2")}
                                         if spec.spin_correlated_ttbar else params, n_events, seed, part, level)
        if spec.spin_correlated_ttbar:
            from evenet.sim.ttbar_spin import decay_ttbar_with_spin, spin_parameters

            record = decay_ttbar_with_spin(record, *spin_parameters(params, spec.defaults),
                                           np.random.default_rng([seed, part, DECAY_STREAM]))
        rng = np.random.default_rng([seed, part, DETECTOR_STREAM])
        if level == "hadron":
            from evenet.sim.shower_objects import shower_candidates

            truth, invisible = shower_candidates(record)
        else:
            truth, invisible = process_level_candidates(record, rng, cluster_partons=level == "parton")
        reco = reconstruct(truth, invisible, n_events, detector, rng)
        gen, weight = gen_list(record), np.ones(n_events)
    with atomic_output(output) as tmp:
        if fmt == "nanoaod":
            write_nanoaod(tmp, run, lumi, event, reco, gen, weight)
        else:
            write_delphes(tmp, event, reco, gen, weight, detector["btag"]["working_point"])
    return {"process": process, "events": n_events, "xsec_pb_pythia": sigma}
