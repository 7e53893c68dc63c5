"""``evenet generate``: one ROOT file (NanoAOD or flat Delphes) for one (process, part)."""

from __future__ import annotations

import json
import logging

from evenet.errors import ConfigError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    from evenet.sim.processes import NON_PYTHIA_PROCESSES, PROCESSES, SIMULATION_LEVELS

    parser = subparsers.add_parser("generate", help="generate a demo sample (Pythia 8 + parametric detector) as ROOT",
                                   description=__doc__)
    parser.add_argument("--process", required=True, choices=sorted(PROCESSES) + list(NON_PYTHIA_PROCESSES))
    parser.add_argument("--events", type=int, required=True, help="events in this file")
    parser.add_argument("--seed", type=int, default=1, help="sample seed; each part derives its own from (seed, part)")
    parser.add_argument("--part", type=int, default=0, help="file index within the sample (luminosityBlock = part + 1)")
    parser.add_argument("--format", choices=("nanoaod", "delphes"), default="nanoaod")
    parser.add_argument("--params", default="{}", help="JSON object of process parameters, e.g. '{\"m_x\": 500, \"m_y\": 100}'")
    parser.add_argument("--detector", default=None, help="detector YAML (default: built-in values = config/detector.yaml)")
    parser.add_argument("--level", choices=SIMULATION_LEVELS, default="process",
                        help="process: hard process + decays, partons are jets (fastest); parton: + ISR/FSR, anti-kT R=0.4 jets"
                             " of the showered partons; hadron: full Pythia with hadronisation (slow)")
    parser.add_argument("--output", required=True, help="output ROOT file (written atomically)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from evenet.sim.detector_config import load_detector_config
    from evenet.sim.sample import generate_sample

    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--params: not valid JSON ({err})") from None
    if not isinstance(params, dict):
        raise ConfigError("--params: must be a JSON object")
    summary = generate_sample(args.process, args.events, args.seed, args.part, args.output, args.format, params,
                              load_detector_config(args.detector), args.level)
    log.info("wrote %s: %s", args.output, summary)
    return 0
