"""Sideband folds for the generator ensemble: one point-cloud file per (channel, fold).

Each sideband event of the channel is put in fold floor(folds * u), u uniform from its
identity (evenet.pointcloud.split.event_uniform, seeded), so a fold does not depend on
file order. The fold file holds that fold's events in the point-cloud layout, with
``META/split`` rewritten: a ``val_fraction`` of them (another hash) for validation
(early stopping), the rest for training. Model k of the ensemble trains on fold k.
With ``generator.rotate_phi`` every event is rotated about the beam axis so the muon pair
has phi = 0 (the objects' phi and met_phi; analyses/cathode/azimuth.py).

    python -m analyses.cathode.folds --data results/pointcloud/dimuon/*.h5 --channel os \
        --fold 0 --config config/cathode/demo.yaml --output results/cathode/folds/os/fold0.h5
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np

from analyses.cathode.azimuth import pair_phi, rotate
from analyses.cathode.config import CHANNELS, load_config
from evenet.atomic import atomic_output
from evenet.errors import UserError, command
from evenet.pointcloud.schema import GLOBAL_FEATURES, SOURCE_FEATURES, SPLIT_CODES
from evenet.pointcloud.split import event_uniform
from evenet.selection.dimuon import REGION_SB

FOLD_SALT, VAL_SALT = 1000, 2000


def fold_of(event_id: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold index per event (n,) from its (run, lumi, event) identity (n, 3)."""
    u = event_uniform(event_id[:, 0], event_id[:, 1], event_id[:, 2], seed + FOLD_SALT)
    return np.minimum((u * folds).astype(int), folds - 1)


def rotate_to_pair_frame(source: np.ndarray, mask: np.ndarray, globals_: np.ndarray) -> None:
    """Point-cloud arrays (n, slots, features), (n, slots), (n, globals) rotated in place so the
    summed transverse momentum of the objects has phi = 0."""
    pt, phi = source[..., SOURCE_FEATURES.index("pt")], source[..., SOURCE_FEATURES.index("phi")]
    angle = -pair_phi(np.where(mask, pt, 0.0), phi)
    source[..., SOURCE_FEATURES.index("phi")] = np.where(mask, rotate(phi, angle), phi)
    met_phi = GLOBAL_FEATURES.index("met_phi")
    globals_[:, met_phi] = rotate(globals_[:, met_phi], angle)


def write_fold(paths, channel: str, fold: int, folds: int, val_fraction: float, seed: int, output,
               rotate_phi: bool = False) -> int:
    with h5py.File(paths[0], "r") as first, atomic_output(output) as tmp, h5py.File(tmp, "w") as out:
        out.attrs.update(dict(first.attrs))
        rows_per_file = []
        for path in paths:
            with h5py.File(path, "r") as f:
                ident = np.stack([f["META/run"][:], f["META/luminosityBlock"][:], f["META/event"][:]], axis=1)
                keep = ((f["META/region"][:] == REGION_SB) & (f["META/channel"][:] == CHANNELS[channel])
                        & (fold_of(ident, folds, seed) == fold))
                rows_per_file.append(np.flatnonzero(keep))

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                parts = []
                for path, rows in zip(paths, rows_per_file):
                    with h5py.File(path, "r") as f:
                        parts.append(f[name][:][rows])
                data = np.concatenate(parts)
                kwargs = {"chunks": True, "compression": "gzip"} if data.ndim and len(data) else {}
                out.create_dataset(name, data=data, **kwargs)
                out[name].attrs.update(dict(obj.attrs))
            else:
                out.require_group(name).attrs.update(dict(obj.attrs))

        first.visititems(copy)
        n = len(out["META/event"])
        ident = np.stack([out["META/run"][:], out["META/luminosityBlock"][:], out["META/event"][:]], axis=1)
        val = event_uniform(ident[:, 0], ident[:, 1], ident[:, 2], seed + VAL_SALT) < val_fraction
        if rotate_phi:
            source, mask, globals_ = (out[k][:] for k in ("INPUTS/Source/data", "INPUTS/Source/mask",
                                                          "INPUTS/Conditions/data"))
            rotate_to_pair_frame(source, mask, globals_)
            out["INPUTS/Source/data"][...], out["INPUTS/Conditions/data"][...] = source, globals_
        del out["META/split"]
        out.create_dataset("META/split", data=np.where(val, SPLIT_CODES["val"], SPLIT_CODES["train"]).astype(np.uint8))
        out.attrs["n_events"] = n
    return n


@command("python -m analyses.cathode.folds")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 files of the data stream")
    p.add_argument("--channel", required=True, choices=sorted(CHANNELS))
    p.add_argument("--fold", type=int, required=True)
    p.add_argument("--config", required=True, help="cathode YAML (config/cathode/demo.yaml)")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    cfg = load_config(args.config)
    gen = cfg["generator"]
    if not 0 <= args.fold < gen["folds"]:
        raise UserError(f"--fold {args.fold}: outside 0..{gen['folds'] - 1} (generator.folds)")
    n = write_fold(args.data, args.channel, args.fold, gen["folds"], gen["val_fraction"], gen["seed"], args.output,
                   gen["rotate_phi"])
    print(f"{n} sideband events ({args.channel}, fold {args.fold}) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
