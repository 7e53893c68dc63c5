"""Oracle background: true-background SR events written as a generated-events file.

A diagnostic of the chain downstream of the generator (classifier, reweighting, fit):
the SR events of a stream without signal (the demo's ``dimuon_nosignal``, an
independent sample of the same continuum) stand in for the generated background, in
the layout of analyses.cathode.generate (raw = calibrated = the events, one "model").
With them the search should find the injected signal and nothing in the no-signal data.

    python -m analyses.cathode.oracle --data results/pointcloud/dimuon_nosignal/*.h5 --channel os --output o.h5
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np

from analyses.cathode.config import CHANNELS
from analyses.cathode.features import read_dimuons
from evenet.atomic import atomic_output
from evenet.errors import command
from evenet.selection.dimuon import REGION_SR

MUON_FIELDS = ("pt1", "eta1", "phi1", "pt2", "eta2", "phi2")


@command("python -m analyses.cathode.oracle")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 of a stream without signal")
    p.add_argument("--channel", required=True, choices=sorted(CHANNELS))
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    d = read_dimuons(args.data)
    d = d.take((d.region == REGION_SR) & (d.channel == CHANNELS[args.channel]))
    with atomic_output(args.output) as tmp, h5py.File(tmp, "w") as f:
        f["model"] = np.zeros(len(d), int)
        f["condition_mass"] = d.mass
        f["calibration_magnitude"] = np.zeros(len(d))
        for kind in ("raw", "calibrated"):
            for name in MUON_FIELDS:
                f[f"{kind}/{name}"] = getattr(d, name)
            f[f"{kind}/mass"] = d.mass
            f[f"{kind}/selected"] = np.ones(len(d), bool)
        f.attrs["channel"] = args.channel
        f.attrs["checkpoints"] = []
    print(f"{len(d)} oracle background events ({args.channel}) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
