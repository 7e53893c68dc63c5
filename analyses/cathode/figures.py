"""Figures of the CATHODE search: the paper's Fig. 5 (a: median significance per
configuration with its 68 % band beside the mass-only bump hunt; b: calibration
magnitude) and the mass spectra with their sideband fits before and after reweighting.

    python -m analyses.cathode.figures --results results/cathode/data/*/*/*/result.json \
        --generated results/cathode/generated/full_os.h5 ... --config config/cathode/demo.yaml \
        --output results/cathode/figures
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np

from analyses.cathode.config import load_config
from evenet.errors import command
from evenet.plots.figures import new_figure, save_figure
from evenet.plots.labels import mass_label
from evenet.results import read_result

COLOURS = {"full": "tab:blue", "scratch": "goldenrod", "ssl": "hotpink", "oracle": "grey"}


def _label(conf: dict) -> str:
    arrow = f"{conf['train'].upper()}$\\to${conf['test'].upper()}"
    return arrow + (" (no sig., pooled)" if conf["label"].endswith("nosignal") else "")


def significance_figure(results, output: Path) -> None:
    fig, ax = new_figure(figsize=(8, 5))
    slots = sorted({_label(r.extra["configuration"]) for r in results})
    variants = sorted({r.extra["configuration"]["label"].split()[0] for r in results})
    width = 0.7 / max(len(variants) * 2, 1)
    for r in results:
        conf = r.extra["configuration"]
        variant, cal = conf["label"].split()[0], conf["calibrated"]
        x = slots.index(_label(conf)) + (variants.index(variant) * 2 + (0 if cal else 1)) * width - 0.35 + width / 2
        z = r.numbers["significance"]
        ax.errorbar([x], [z.value], yerr=[[z.value - z.low], [z.high - z.value]], fmt="o" if cal else "s",
                    color=COLOURS.get(variant), mfc=COLOURS.get(variant) if cal else "none", capsize=3,
                    label=f"{variant} ({'calibrated' if cal else 'raw'})")
        ref = r.numbers["bump_hunt_significance"].value
        ax.hlines(ref, x - width / 2, x + width / 2, colors="black", linestyles="dashed",
                  label="bump hunt (mass only)")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize="small", loc="upper right")
    ax.set_xticks(range(len(slots)), slots)
    ax.set_ylabel("median significance $Z$ [$\\sigma$]")
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelsize="small")
    save_figure(fig, output / "significance",
                "Median likelihood-reweighted significance Z = sqrt(q0) per train->test configuration and generator "
                "variant (calibrated: filled), bars: 16-84 % of the pseudo-experiments (generator-ensemble "
                "bootstraps x resamplings of generated events); dashed: the mass-only bump hunt on the same test "
                "events (paper Fig. 5a).")


def calibration_figure(generated, output: Path) -> None:
    fig, ax = new_figure()
    bins = np.linspace(0, 150, 51)
    for path in generated:
        variant = Path(path).stem.rsplit("_", 1)[0]
        with h5py.File(path, "r") as f:
            magnitude = 100 * f["calibration_magnitude"][:]
        ax.hist(np.clip(magnitude, 0, 149.9), bins, histtype="step", density=True, color=COLOURS.get(variant),
                label=f"{variant}: median {np.median(magnitude):.0f} %")
    ax.set_xlabel("calibration magnitude [%]")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    save_figure(fig, output / "calibration",
                "Relative per-event momentum change of the rest-frame calibration, (|p1' - p1| + |p2' - p2|) / "
                "(|p1| + |p2|), of the generated opposite-sign SR events per generator variant (paper Fig. 5b); "
                "overflow in the last bin.")


def spectra_figure(result, output: Path) -> None:
    fig, axes = new_figure(ncols=2, figsize=(12, 5))
    for ax, key, title in zip(axes, ("before", "after"), ("mass only", "likelihood-ratio weighted")):
        s = result.extra["spectra"][key]
        edges, sumw, fitted = np.array(s["edges"]), np.array(s["sumw"]), np.array(s["fitted"])
        centres, err = 0.5 * (edges[1:] + edges[:-1]), np.sqrt(np.array(s["sumw2"]))
        sr = np.array(s["signal_bins"])
        ax.errorbar(centres[~sr], sumw[~sr], yerr=err[~sr], fmt="o", ms=3, color="black", label="data, sidebands")
        ax.errorbar(centres[sr], sumw[sr], yerr=err[sr], fmt="o", ms=3, color="tab:red", label="data, SR")
        ax.stairs(fitted, edges, color="tab:blue", baseline=None, label="quintic sideband fit")
        ax.set_xlabel(mass_label("\\mu\\mu"))
        ax.set_ylabel("events / bin" if key == "before" else "sum of weights / bin")
        ax.legend(fontsize="x-small", title=f"{title}: Z = {s['significance']:.2f}", title_fontsize="x-small")
    conf = result.extra["configuration"]
    save_figure(fig, output / "spectra",
                f"Dimuon mass spectrum of the {conf['test'].upper()} test events ({conf['label']}, "
                f"{conf['train'].upper()}->{conf['test'].upper()}) with the quintic fitted to the sidebands: left "
                "unweighted (the mass-only bump hunt), right weighted by the classifier's likelihood ratio (the "
                "pseudo-experiment of median significance); error bars sqrt(sum of squared weights).")


@command("python -m analyses.cathode.figures")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", nargs="+", required=True)
    p.add_argument("--generated", nargs="+", required=True, help="generated OS events per variant (calibration)")
    p.add_argument("--config", required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    load_config(args.config)
    results = [read_result(path) for path in args.results]
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    significance_figure(results, output)
    calibration_figure(args.generated, output)
    first_os = [r for r in results if r.extra["configuration"]["train"] == r.extra["configuration"]["test"] == "os"
                and not r.extra["configuration"]["label"].endswith("nosignal")]
    spectra_figure((first_os or results)[0], output)
    print(f"figures -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
