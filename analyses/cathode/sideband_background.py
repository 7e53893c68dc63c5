"""Sideband stand-in background: the data's own sideband events calibrated to signal-region masses.

A diagnostic between the oracle (true background, analyses.cathode.oracle) and the EveNet
generators: each sideband event of the channel (optionally only those in ``--window``
intervals) gets a conditioning mass drawn from the quintic sideband fit in the SR, as the
generators' events do (analyses.cathode.generate), and is calibrated to it (pair velocity
and rest-frame axis kept, docs/cathode.md step 5). Over the whole sidebands this is a
background model with the right sideband kinematics that ignores the mass, what a
generator with zero mass response at best achieves; restricted to sideband events near
the SR it is one whose kinematics follow the mass to within the window. Written in the
layout of analyses.cathode.generate, one "model"; "raw" are the sideband events as taken
(none in the SR, so none selected): use the file with ``analyses.cathode.search --calibrated``.

    python -m analyses.cathode.sideband_background --data results/pointcloud/dimuon/dimuon_data.h5 \\
        --channel os --config config/cathode/demo.yaml --selections config/selections.yaml \\
        --window 8 9 --window 10.6 11.6 --copies 3 --output near.h5
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from analyses.cathode.config import CHANNELS, load_config
from analyses.cathode.features import Dimuons, read_dimuons
from analyses.cathode.generate import background_masses, calibrated_events, muon_cuts, write_events
from evenet.errors import UserError, command
from evenet.selection.dimuon import REGION_SB


def sideband_background(data: Dimuons, channel: str, cfg: dict, cuts: tuple[float, float], windows, copies: int,
                        rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The channel's sideband events (those with a mass in one of ``windows``, all when None), each
    taken ``copies`` times with its own SR mass, calibrated and re-selected in the SR."""
    sideband = (data.region == REGION_SB) & (data.channel == CHANNELS[channel])
    use = sideband.copy()
    if windows:
        near = np.zeros(len(data), bool)
        for low, high in windows:
            near |= (data.mass >= low) & (data.mass < high)
        use &= near
    index = np.tile(np.flatnonzero(use), copies)
    if not len(index):
        raise UserError(f"no {channel} sideband events in the windows {windows}")
    mass = background_masses(data.mass[sideband], cfg, len(index), rng)
    pair = lambda a, b: np.stack([a[index], b[index]], axis=1)
    pt, eta, phi = pair(data.pt1, data.pt2), pair(data.eta1, data.eta2), pair(data.phi1, data.phi2)
    return calibrated_events(0, mass, pt, eta, phi, pt.sum(axis=1), cuts, [cfg["mass"]["signal_region"]])


@command("python -m analyses.cathode.sideband_background")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 of the data stream")
    p.add_argument("--channel", required=True, choices=sorted(CHANNELS))
    p.add_argument("--config", required=True)
    p.add_argument("--selections", required=True, help="selections YAML (dimuon muon cuts)")
    p.add_argument("--window", nargs=2, type=float, action="append", metavar=("LOW", "HIGH"),
                   help="use only sideband events with LOW <= m < HIGH (repeatable; default: all)")
    p.add_argument("--copies", type=int, default=1, help="times each event is used, each with its own SR mass")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    if args.copies < 1:
        raise UserError(f"--copies must be at least 1, got {args.copies}")
    events = sideband_background(read_dimuons(args.data), args.channel, load_config(args.config),
                                 muon_cuts(args.selections), args.window, args.copies, np.random.default_rng(args.seed))
    write_events(args.output, events, args.channel, [])
    print(f"{len(events['model'])} sideband stand-in events ({args.channel}), "
          f"{int(events['calibrated/selected'].sum())} selected, median calibration "
          f"{np.median(events['calibration_magnitude']):.3f} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
