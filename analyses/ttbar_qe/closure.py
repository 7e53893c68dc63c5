"""Closure of the spin measurement against injected truth, written to one result.json:

1. parton level: C (nine entries) and B+, B- from the generated t, tbar, l+, l- of the
   fixed-C samples against the injected values (generator convention converted to ours);
2. truth pairing + truth neutrinos -> reconstruction -> unfolding (response from the
   response sample): D of each unfolded sample against its injected / parton-level D;
3. linearity: the two fixed-C samples, unfolded with the response of a third sample
   (LO SM), slope of measured against injected D.

    python -m analyses.ttbar_qe.closure --config config/ttbar_qe/ttbar_qe.yaml \
        --response R.root R.h5 --sample lin_a A.root A.h5 '[[0.6,0,0],[0,0.3,0],[0,0,0.6]]' \
        --sample lin_b B.root B.h5 '[[0.2,0,0],[0,0.1,0],[0,0,0.2]]' --sample sm D.root D.h5 sm \
        --xsec-pb 40 --output results/ttbar_qe/closure/result.json

A sample's injected C is a JSON 3x3 matrix in the generator convention, or ``sm`` (LO SM
per event: compared with its own parton-level values only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from analyses.ttbar_qe.events import read_parton_truth, read_pointcloud
from analyses.ttbar_qe.measure import json_config, load_config, measure, place, setup_from, spin_model
from analyses.ttbar_qe.reconstruct import truth_reconstruction
from evenet.errors import ConfigError, command
from evenet.physics.spin import AXES, CONVENTION, from_generator_convention, lepton_cosines, marker_d, spin_coefficients
from evenet.results import Measurement, write_result


def parton_closure(name: str, truth, c_gen) -> tuple[dict, dict]:
    """Numbers and pulls of C, B+, B- (inclusive, parton level) against the injection, and the
    chi2 of all fifteen with their covariance (measured on the same events) and its p-value:
    the test of the whole set (with 15 unbiased numbers, all are within 2 sigma only half the time)."""
    sc = spin_coefficients(*lepton_cosines(truth.top, truth.antitop, truth.lep_plus, truth.lep_minus))
    c_inj, b_plus, b_minus = from_generator_convention(c_gen)
    injected = np.concatenate([c_inj.reshape(9), b_plus, b_minus])
    labels = [f"C_{a}{b}" for a in AXES for b in AXES] + [f"B+_{a}" for a in AXES] + [f"B-_{a}" for a in AXES]
    residual = sc.values - injected
    pulls = residual / sc.errors
    chi2 = float(residual @ np.linalg.solve(sc.covariance, residual))
    numbers = {f"{name}/parton/{label}": Measurement(float(v), float(e), note=f"injected {inj:+.3f}")
               for label, v, e, inj in zip(labels, sc.values, sc.errors, injected)}
    summary = {"max_abs_pull": float(np.max(np.abs(pulls))), "n_beyond_2_sigma": int(np.sum(np.abs(pulls) > 2)),
               "n_entries": len(pulls), "chi2": chi2, "chi2_p_value": float(stats.chi2.sf(chi2, len(pulls))),
               "pulls": dict(zip(labels, pulls.tolist()))}
    return numbers, summary


def _injected(name: str, text: str):
    """The injected generator C of a --sample: None for "sm", else a 3x3 array."""
    try:
        value = "sm" if text == "sm" else json.loads(text)
        return None if value == "sm" else np.asarray(value, dtype=float).reshape(3, 3)
    except (ValueError, TypeError):
        raise ConfigError(f"--sample {name}: injected C must be a JSON 3x3 matrix or sm, got {text!r}") from None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    p.add_argument("--response", nargs=2, required=True, metavar=("GENERATED", "POINTCLOUD"),
                   help="generated ROOT file(s), comma-separated, and the point-cloud file of the response sample")
    p.add_argument("--sample", nargs=4, action="append", required=True,
                   metavar=("NAME", "GENERATED", "POINTCLOUD", "INJECTED_C"))
    p.add_argument("--response-model", default="sm", type=spin_model,
                   help="spin state of the response sample: sm (default) or a JSON 3x3 generator C")
    p.add_argument("--xsec-pb", type=float, required=True)
    p.add_argument("--output", required=True)
    return p.parse_args(argv)


def run(args) -> Path:
    config = load_config(args.config)
    setup = setup_from(config)
    tb = int(config["threshold_bin"])

    def load(generated, pointcloud, model=None):
        truth = read_parton_truth(generated.split(","))
        events = read_pointcloud([pointcloud])
        return truth, place(truth, events, truth_reconstruction(events), model)

    _, response = load(*args.response, args.response_model)  # GENERATED may be a comma-separated list, as for --sample
    numbers, summary, linearity = {}, {}, []
    for name, generated, pointcloud, injected in args.sample:
        truth, sample = load(generated, pointcloud)
        result = measure(setup, config, response, sample, args.xsec_pb)["numbers"]
        d_meas, d_err, d_model = result["D"].value, result["D_sample_error"].value, result["D_model"].value
        d_parton = result["D_parton"]
        entry = {"D_unfolded": d_meas, "D_unfolded_error_sample": d_err, "D_model": d_model,
                 "D_parton": d_parton.value, "D_parton_error": d_parton.error,
                 "pull_unfolded_vs_parton": (d_meas - d_parton.value) / d_err,
                 "pull_unfolded_vs_parton_with_model": (d_meas - d_parton.value) / float(np.hypot(d_err, d_model))}
        numbers[f"{name}/D_unfolded"] = Measurement(d_meas, d_err, note="truth pairing + truth neutrinos, unfolded, "
                                                    "threshold bin, error for this sample's size")
        numbers[f"{name}/D_parton"] = d_parton
        c_gen = _injected(name, injected)
        if c_gen is not None:
            d_inj = marker_d(from_generator_convention(c_gen)[0])[0]
            parton_numbers, parton_summary = parton_closure(name, truth, c_gen)
            numbers.update(parton_numbers)
            numbers[f"{name}/D_injected"] = Measurement(d_inj)
            entry.update(D_injected=d_inj, pull_unfolded_vs_injected=(d_meas - d_inj) / d_err,
                         pull_unfolded_vs_injected_with_model=(d_meas - d_inj) / float(np.hypot(d_err, d_model)),
                         parton=parton_summary)
            linearity.append((d_inj, d_meas, d_err))
        summary[name] = entry
    if len(linearity) >= 2:
        (x1, y1, e1), (x2, y2, e2) = linearity[:2]
        slope = (y1 - y2) / (x1 - x2)
        numbers["linearity/slope"] = Measurement(slope, float(np.hypot(e1, e2) / abs(x1 - x2)),
                                                 note="(D_a - D_b) / (D_inj_a - D_inj_b), ideal 1")
        numbers["linearity/offset"] = Measurement(float(y1 - slope * x1), note="D_measured at D_injected = 0")
    return write_result(args.output, numbers, json_config(config), convention=CONVENTION, closure=summary,
                        threshold_bin=tb, method="truth pairing + truth neutrinos")


@command("python -m analyses.ttbar_qe.closure")
def main(argv=None) -> int:
    args = parse_args(argv)
    path = run(args)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
