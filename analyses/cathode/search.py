"""Pseudo-experiments of one configuration: train channel -> test channel, generator variant, calibration.

For each bootstrap of the generator ensemble (the fold models drawn with replacement)
and each resampling of its generated SR events (``classifier.generated_events`` drawn
without replacement from the union of the drawn models' selected events, or all of them
when fewer), a k-fold BDT ensemble
(analyses.cathode.classifier) separates the train channel's SR data from the generated
background. The test channel's events get a score z: out-of-fold for SR data the
classifier was trained on, else the score of one random fold's ensemble (why:
analyses.cathode.classifier). Each event is weighted by
the likelihood ratio

    w = (z - (1 - mu) (1 - z)) / (mu (1 - z)),   negative w set to 0,

with mu the SR signal fraction of the test channel's inclusive (mass-only) bump hunt,
(n_SR - b) / n_SR, floored at ``classifier.mu_min``; the weighted spectrum goes through
the bump hunt (quintic sideband fit, scaled-Poisson, Z = sqrt(q0);
evenet.stats.bumphunt). Beside it, a cut-and-count: keep events whose score exceeds
the (1 - f) quantile of the test channel's sideband scores, for each sideband
false-positive rate f, and run the unweighted bump hunt on them. The reference is the
plain bump hunt on the same test events. result.json: the median significance with
its 68 % band (16th-84th percentiles over pseudo-experiments), the same for the
cut-and-count and for the out-of-fold AUC of SR data vs generated events (0.5 when the
generator reproduces the SR background and there is no signal), the bump-hunt
reference, and the spectra before and after reweighting (the median pseudo-experiment).

    python -m analyses.cathode.search --data results/pointcloud/dimuon/*.h5 --generated gen_os_full.h5 \
        --train os --test os --calibrated --config config/cathode/demo.yaml --output .../result.json
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np

from analyses.cathode.classifier import auc, kfold_scores
from analyses.cathode.config import CHANNELS, load_config
from analyses.cathode.features import Dimuons, features, read_dimuons
from evenet.errors import InputFileError, UserError, command
from evenet.results import Measurement, write_result
from evenet.selection.dimuon import REGION_SB, REGION_SR
from evenet.stats.bumphunt import bump_hunt, mass_edges

MUON_FIELDS = ("pt1", "eta1", "phi1", "pt2", "eta2", "phi2")


def lr_weights(z: np.ndarray, mu: float) -> np.ndarray:
    """Likelihood-ratio weights of scores z (module docstring); negatives and z = 1 handled."""
    z = np.clip(z, 0.0, 1.0 - 1e-7)
    return np.clip((z - (1 - mu) * (1 - z)) / (mu * (1 - z)), 0.0, None)


def read_generated(path, calibrated: bool) -> tuple[Dimuons, np.ndarray]:
    """The selected generated events (raw or calibrated) and the fold model of each."""
    kind = "calibrated" if calibrated else "raw"
    try:
        with h5py.File(path, "r") as f:
            keep = f[f"{kind}/selected"][:]
            cols = [f[f"{kind}/{k}"][:][keep] for k in MUON_FIELDS + ("mass",)]
            model = f["model"][:][keep]
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: not a cathode generated-events file ({err})") from None
    n = int(keep.sum())
    if n == 0:
        raise InputFileError(f"{path}: no generated event passes the selection ({kind})")
    return Dimuons(*cols, np.zeros(n, int), np.full(n, REGION_SR), np.zeros((n, 3), np.uint64)), model


def band(values, note: str | None = None) -> Measurement:
    """Median with the 16th-84th percentile band."""
    v = np.asarray(values, float)
    return Measurement(float(np.median(v)), low=float(np.percentile(v, 16)), high=float(np.percentile(v, 84)),
                       note=note)


def run(data: Dimuons, generated: Dimuons, model: np.ndarray, cfg: dict, train: str, test: str,
        bootstraps: int, resamplings: int) -> dict:
    m, c = cfg["mass"], cfg["classifier"]
    sr_window = tuple(m["signal_region"])
    edges = mass_edges(sr_window, tuple(m["range"]), m["sr_edges"])
    names = c["features"]
    train_sr = np.flatnonzero((data.channel == CHANNELS[train]) & (data.region == REGION_SR))
    test_all = np.flatnonzero(data.channel == CHANNELS[test])
    test_data = data.take(test_all)
    if len(train_sr) < c["folds"] or len(test_all) == 0:
        raise UserError(f"too few events: {len(train_sr)} SR events of channel {train}, {len(test_all)} of {test}")
    reference = bump_hunt(test_data.mass, edges, sr_window, degree=m["degree"])
    mu = max((reference.observed - reference.background) / reference.observed, c["mu_min"])
    x_train = features(data.take(train_sr), names)
    x_test = features(test_data, names)
    same = train == test
    # test events that are SR training data get out-of-fold scores; the others the fold average
    in_train = np.isin(test_all, train_sr) if same else np.zeros(len(test_all), bool)
    sideband = test_data.region == REGION_SB
    rng = np.random.default_rng(cfg["pseudo_experiments"]["seed"])
    models = np.unique(model)
    z_values, aucs, cuts, hunts = [], [], {f: [] for f in c["fprs"]}, []
    for _ in range(bootstraps):
        drawn = rng.choice(models, len(models), replace=True)
        pool = np.concatenate([np.flatnonzero(model == k) for k in drawn])
        for _ in range(resamplings):
            pick = rng.choice(pool, min(c["generated_events"], len(pool)), replace=False)
            scores = kfold_scores(x_train, features(generated.take(pick), names), x_test[~in_train], c["folds"],
                                  c["ensemble"], c["xgboost"], c["early_stopping_rounds"], int(rng.integers(2**31)))
            z = np.empty(len(test_all))
            z[~in_train] = scores.others
            if same:
                order = np.searchsorted(train_sr, test_all[in_train])
                z[in_train] = scores.data[order]
            hunt = bump_hunt(test_data.mass, edges, sr_window, weights=lr_weights(z, mu), degree=m["degree"])
            hunts.append(hunt)
            z_values.append(hunt.significance)
            aucs.append(auc(scores.data, scores.generated))
            for f in c["fprs"]:
                threshold = np.quantile(z[sideband], 1 - f)
                cuts[f].append(bump_hunt(test_data.mass[z > threshold], edges, sr_window, degree=m["degree"]).significance)
    median = hunts[int(np.argsort(z_values)[len(z_values) // 2])]
    numbers = {"significance": band(z_values, "median and 16-84 % band over pseudo-experiments, Z = sqrt(q0)"),
               "bump_hunt_significance": Measurement(reference.significance, note="mass only, same test events"),
               "auc_data_vs_generated": band(aucs, "out-of-fold, train-channel SR data vs generated"),
               "signal_fraction_mu": Measurement(mu)}
    numbers.update({f"cut_and_count_fpr_{f:g}": band(v) for f, v in cuts.items()})
    return {"numbers": numbers, "significances": z_values, "aucs": aucs,
            "spectra": {"before": reference.as_dict(), "after": median.as_dict()}}


@command("python -m analyses.cathode.search")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 of the searched stream")
    p.add_argument("--generated", required=True, help="generated SR events of the train channel (cathode.generate)")
    p.add_argument("--train", required=True, choices=sorted(CHANNELS))
    p.add_argument("--test", required=True, choices=sorted(CHANNELS))
    p.add_argument("--calibrated", action="store_true", help="use the calibrated generated events (else raw)")
    p.add_argument("--config", required=True)
    p.add_argument("--bootstraps", type=int, help="overrides pseudo_experiments.bootstraps")
    p.add_argument("--resamplings", type=int, help="overrides pseudo_experiments.resamplings")
    p.add_argument("--label", default="", help="configuration name written to the result")
    p.add_argument("--output", required=True, help="result.json")
    args = p.parse_args(argv)
    cfg = load_config(args.config)
    pe = cfg["pseudo_experiments"]
    boot, res = args.bootstraps or pe["bootstraps"], args.resamplings or pe["resamplings"]
    generated, model = read_generated(args.generated, args.calibrated)
    out = run(read_dimuons(args.data), generated, model, cfg, args.train, args.test, boot, res)
    with h5py.File(args.generated, "r") as f:
        checkpoints = [str(c) for c in f.attrs["checkpoints"]]
    configuration = {"label": args.label, "train": args.train, "test": args.test, "calibrated": args.calibrated,
                     "bootstraps": boot, "resamplings": res, "data": args.data, "generated": args.generated}
    write_result(args.output, out["numbers"], cfg, checkpoints, configuration=configuration,
                 significances=out["significances"], aucs=out["aucs"], spectra=out["spectra"])
    z = out["numbers"]["significance"]
    print(f"{args.label} {args.train}->{args.test}: Z = {z.value:.2f} [{z.low:.2f}, {z.high:.2f}], "
          f"bump hunt {out['numbers']['bump_hunt_significance'].value:.2f} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
