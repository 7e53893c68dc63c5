"""Generator diagnostics: where the generated background differs from the data, and whether
the difference is an interpolation problem (SR only) or a modelling one (sidebands too).

For one (variant, channel):

* SR: the channel's SR data (of the searched stream and of the no-signal stream) against the
  generated SR events of analyses.cathode.generate (calibrated and raw);
* sideband closure: the fold models generate at the channel's sideband data masses (each
  model an equal share, drawn without replacement, up to
  ``generator.diagnostic_events_per_model``),
  calibrated and re-selected in the sidebands, against the sideband data. Conditioning on
  the data's own masses removes the polynomial from the comparison: a sideband AUC as
  large as the SR one says the generator mis-models p(x | m) where it was trained, not
  that the interpolation into the SR fails.

Two more numbers locate the cause: the generator's mass response (the slope of the
generated, uncalibrated pair mass on the conditioning mass over the sidebands: 1 when it
follows the condition, 0 when it ignores it and the calibration does all the work), and
each feature's mass dependence in the sideband data (the AUC of the events just below
against just above the SR).

For each comparison: the out-of-fold AUC of the search's k-fold BDT (its classifier
settings, one BDT per fold, the search's features; 0.5 when the two samples are
indistinguishable) and, per feature, the one-dimensional AUC (the probability that a data
value exceeds a generated one; 0.5: same median-ish location, below 0.5: the generated
values are larger). The figure overlays data and generated (calibrated) per feature, SR and
sidebands, normalised.

    python -m analyses.cathode.diagnose --checkpoints m0.ckpt ... --data results/pointcloud/dimuon/*.h5 \
        --nosignal results/pointcloud/dimuon_nosignal/*.h5 --generated gen_full_os.h5 --channel os \
        --config config/cathode/demo.yaml --selections config/selections.yaml \
        --output results/cathode/diagnostics/full_os/result.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from analyses.cathode.classifier import auc, kfold_scores
from analyses.cathode.config import CHANNELS, load_config
from analyses.cathode.features import Dimuons, features, read_dimuons
from analyses.cathode.generate import generate_events, muon_cuts
from analyses.cathode.search import read_generated
from evenet.errors import UserError, command
from evenet.plots.figures import new_figure, save_figure
from evenet.results import Measurement, write_result
from evenet.selection.dimuon import REGION_SB, REGION_SR

MUON_FIELDS = ("pt1", "eta1", "phi1", "pt2", "eta2", "phi2")


def sideband_masses(mass_sb: np.ndarray, models: int, per_model: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Disjoint draws of the sideband data masses, one per model (equal shares)."""
    n = min(per_model, len(mass_sb) // models)
    if n == 0:
        raise UserError(f"too few sideband events ({len(mass_sb)}) for {models} generator models")
    pick = rng.permutation(len(mass_sb))[: n * models]
    return [mass_sb[pick[k * n:(k + 1) * n]] for k in range(models)]


def as_dimuons(events: dict, kind: str) -> Dimuons:
    """The selected events of a generate_events output as Dimuons."""
    keep = events[f"{kind}/selected"]
    n = int(keep.sum())
    if n == 0:
        raise UserError(f"no generated sideband event passes the selection ({kind})")
    return Dimuons(*(events[f"{kind}/{f}"][keep] for f in MUON_FIELDS), events[f"{kind}/mass"][keep],
                   np.zeros(n, int), np.full(n, REGION_SB), np.zeros((n, 3), np.uint64))


def compare(x_data: np.ndarray, x_generated: np.ndarray, names, cfg: dict, seed: int) -> dict:
    """Out-of-fold BDT AUC of data vs generated (generated capped at classifier.generated_events), and per-feature AUCs."""
    c = cfg["classifier"]
    rng = np.random.default_rng(seed)
    gen = x_generated[rng.permutation(len(x_generated))[: c["generated_events"]]]
    scores = kfold_scores(x_data, gen, x_data[:0], c["folds"], 1, c["xgboost"], c["early_stopping_rounds"], seed)
    return {"auc": auc(scores.data, scores.generated), "n_data": len(x_data), "n_generated": len(gen),
            "feature_auc": {n: auc(x_data[:, i], gen[:, i]) for i, n in enumerate(names)}}


def mass_response(condition: np.ndarray, generated: np.ndarray) -> float:
    """Least-squares slope of the generated (uncalibrated) pair mass on the conditioning mass:
    1 when the generator follows its mass condition, 0 when it ignores it."""
    c = condition - condition.mean()
    return float(np.sum(c * (generated - generated.mean())) / np.sum(c**2))


def mass_dependence(sb: Dimuons, names, mass_cfg: dict) -> dict[str, float]:
    """Per-feature AUC of the sideband data just below against just above the SR (windows as wide as the
    SR): 0.5 for a feature independent of the mass. Features far from 0.5 carry the mass into the
    classifier, so a generator mismatch in them is learned as an SR-specific weight (sculpting)."""
    (slo, shi), width = mass_cfg["signal_region"], np.diff(mass_cfg["signal_region"])[0]
    below = (sb.mass >= slo - width) & (sb.mass < slo)
    above = (sb.mass >= shi) & (sb.mass < shi + width)
    x = features(sb, names)
    return {n: auc(x[below, i], x[above, i]) for i, n in enumerate(names)}


def feature_figure(samples: dict, names, title: str, output: Path) -> None:
    """Normalised histograms per feature: data (points) and generated (line), SR and sidebands."""
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = new_figure(nrows=rows, ncols=cols, figsize=(4 * cols, 3.2 * rows))
    axes = np.atleast_1d(axes).ravel()
    styles = {"SR data": ("tab:red", "data"), "SR generated": ("tab:red", "gen"),
              "SB data": ("black", "data"), "SB generated": ("black", "gen")}
    for i, name in enumerate(names):
        ax = axes[i]
        values = np.concatenate([s[:, i] for s in samples.values()])
        bins = np.linspace(*np.percentile(values, [0.5, 99.5]), 31)
        for label, x in samples.items():
            colour, kind = styles[label]
            h, _ = np.histogram(np.clip(x[:, i], bins[0], bins[-1]), bins, density=True)
            if kind == "data":
                ax.plot(0.5 * (bins[1:] + bins[:-1]), h, "o", ms=2.5, color=colour, label=label)
            else:
                ax.stairs(h, bins, color=colour, linestyle="--" if label.startswith("SB") else "-", label=label)
        ax.set_xlabel(name)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].legend(fontsize="x-small")
    save_figure(fig, output, f"Per-feature distributions of data (points) and calibrated generated background (lines) "
                             f"in the signal region (red) and the sidebands (black, dashed; generated at the sideband "
                             f"data masses), normalised; {title}. The per-feature and multivariate AUCs are in the "
                             f"diagnostics result.json beside it.")


def diagnose(checkpoints, data_paths, nosignal_paths, generated_path, channel: str, cfg: dict, selections) -> dict:
    m, gen = cfg["mass"], cfg["generator"]
    names = cfg["classifier"]["features"]
    ch = CHANNELS[channel]
    data, nosignal = read_dimuons(data_paths), read_dimuons(nosignal_paths)
    sr = lambda d: features(d.take(np.flatnonzero((d.channel == ch) & (d.region == REGION_SR))), names)
    sb_data = data.take(np.flatnonzero((data.channel == ch) & (data.region == REGION_SB)))
    out, samples = {}, {}
    for kind in ("calibrated", "raw"):
        generated, _ = read_generated(generated_path, kind == "calibrated")
        x_gen = features(generated, names)
        out[f"sr_data_{kind}"] = compare(sr(data), x_gen, names, cfg, gen["seed"])
        out[f"sr_nosignal_{kind}"] = compare(sr(nosignal), x_gen, names, cfg, gen["seed"])
        if kind == "calibrated":
            samples["SR data"], samples["SR generated"] = sr(nosignal), x_gen
    rng = np.random.default_rng(gen["seed"] + 1)
    masses = sideband_masses(sb_data.mass, len(checkpoints), gen["diagnostic_events_per_model"], rng)
    (lo, hi), (slo, shi) = m["range"], m["signal_region"]
    events = generate_events(checkpoints, masses, channel, gen["steps"], gen["seed"] + 1, muon_cuts(selections),
                             [(lo, slo), (shi, hi)])
    x_sb = features(sb_data, names)
    for kind in ("calibrated", "raw"):
        x_gen = features(as_dimuons(events, kind), names)
        out[f"sb_{kind}"] = compare(x_sb, x_gen, names, cfg, gen["seed"] + 1)
        if kind == "calibrated":
            samples["SB data"], samples["SB generated"] = x_sb, x_gen
    out["sb_median_calibration_magnitude"] = float(np.median(events["calibration_magnitude"]))
    out["sb_raw_mass_ratio_16_50_84"] = np.percentile(events["raw/mass"] / events["condition_mass"], [16, 50, 84]).tolist()
    out["raw_mass_response"] = mass_response(events["condition_mass"], events["raw/mass"])
    out["feature_mass_dependence"] = mass_dependence(sb_data, names, m)
    return {"comparisons": out, "samples": samples}


@command("python -m analyses.cathode.diagnose")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoints", nargs="+", required=True, help="one generator checkpoint per fold")
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 of the searched stream")
    p.add_argument("--nosignal", nargs="+", required=True, help="point-cloud HDF5 of the no-signal stream")
    p.add_argument("--generated", required=True, help="generated SR events of this variant and channel")
    p.add_argument("--channel", required=True, choices=sorted(CHANNELS))
    p.add_argument("--config", required=True)
    p.add_argument("--selections", required=True, help="selections YAML (dimuon muon cuts)")
    p.add_argument("--label", default="", help="variant name written to the result and figure")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True, help="result.json; the figure features.{png,pdf} goes beside it")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    d = diagnose(args.checkpoints, args.data, args.nosignal, args.generated, args.channel, cfg, args.selections)
    c = d["comparisons"]
    numbers = {f"auc_{key}": Measurement(v["auc"], note=f"out-of-fold BDT AUC, {v['n_data']} data vs "
                                                        f"{v['n_generated']} generated events")
               for key, v in c.items() if isinstance(v, dict) and "auc" in v}
    numbers["sb_median_calibration_magnitude"] = Measurement(c["sb_median_calibration_magnitude"])
    numbers["raw_mass_response"] = Measurement(c["raw_mass_response"], note="slope of generated on conditioning "
                                               "mass in the sidebands (1: follows it, 0: ignores it)")
    write_result(args.output, numbers, cfg, args.checkpoints, comparisons=c,
                 configuration={"label": args.label, "channel": args.channel, "generated": args.generated})
    feature_figure(d["samples"], cfg["classifier"]["features"], f"{args.label} {args.channel.upper()}",
                   Path(args.output).parent / "features")
    print(" ".join(f"{k}={v.value:.3f}" for k, v in numbers.items()) + f" -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
