"""Measure C and D with one reconstruction method: response from one sample, unfolding of
another, bootstrap uncertainties scaled to the configured luminosity, pairing efficiency.

    python -m analyses.ttbar_qe.measure --config config/ttbar_qe/ttbar_qe.yaml --method analytic \
        --response-generated R.root --response-pointcloud R.h5 --data-generated D.root --data-pointcloud D.h5 \
        --xsec-pb 40 [--predictions P.h5 --checkpoint best.ckpt] --output results/ttbar_qe/.../result.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import yaml

from analyses.ttbar_qe.events import PartonTruth, PointCloudEvents, read_parton_truth, read_pointcloud
from analyses.ttbar_qe.reconstruct import (Reconstruction, analytic_reconstruction, network_reconstruction,
                                           truth_reconstruction)
from analyses.ttbar_qe.spin_reweighting import FAMILIES, generator_correlation, response_weights
from analyses.ttbar_qe.spin_unfolding import SpinUnfolder, UnfoldingSetup
from evenet.errors import ConfigError, InputFileError, command
from evenet.physics.spin import (AXES, CONVENTION, atlas_d, lepton_cosines, mass, marker_d, products,
                                 relative_precision)
from evenet.results import Measurement, write_result
from evenet.stats.pairing import pairing_purity

TOPOLOGY = {"resonances": {"t": {"products": ["b", "l"]}, "tbar": {"products": ["b", "l"]}}}
METHODS = ("truth", "analytic", "network")


def load_config(path) -> dict:
    try:
        config = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read ({err})") from None
    for key in ("mtt_edges", "threshold_bin", "unfolding", "uncertainty", "network"):
        if key not in config:
            raise ConfigError(f"{path}: missing key {key!r}")
    return config


def json_config(config: dict) -> dict:
    """The config as written into result.json (JSON has no infinity: the open m_tt edge is "inf")."""
    return {**config, "mtt_edges": [e if np.isfinite(float(e)) else "inf" for e in config["mtt_edges"]]}


def setup_from(config: dict) -> UnfoldingSetup:
    u = config["unfolding"]
    if u["prior"] not in ("response", "flat"):
        raise ConfigError(f"unfolding.prior must be 'response' or 'flat', got {u['prior']!r}")
    return UnfoldingSetup(tuple(float(e) for e in config["mtt_edges"]), int(u["z_bins"]), int(u["iterations"]), u["prior"])


@dataclass(frozen=True)
class Sample:
    """One sample, every generated event: parton-level products and m_tt, and the
    reconstruction of the selected events placed at their generated event (ok False else).
    A response sample also carries the parton-level cosines and the C each event was
    generated with (spin reweighting, analyses.ttbar_qe.spin_reweighting); None if unknown."""

    truth_products: np.ndarray
    truth_mtt: np.ndarray
    reco_products: np.ndarray
    reco_mtt: np.ndarray
    reco_ok: np.ndarray
    n_generated: int
    truth_cos_plus: np.ndarray | None = None
    truth_cos_minus: np.ndarray | None = None
    generator_c: np.ndarray | None = None


def parton_observables(truth: PartonTruth) -> tuple[np.ndarray, np.ndarray]:
    cos_plus, cos_minus = lepton_cosines(truth.top, truth.antitop, truth.lep_plus, truth.lep_minus)
    return products(cos_plus, cos_minus), mass(truth.top + truth.antitop)


def place(truth: PartonTruth, events: PointCloudEvents, reco: Reconstruction, model=None) -> Sample:
    """``model``: the spin state the sample was generated with ("sm" or the generator-convention
    3x3 C), needed for a response sample that is reweighted; None otherwise."""
    order = np.argsort(truth.event)
    where = np.searchsorted(truth.event, events.event, sorter=order)
    found = where < len(order)
    index = order[np.minimum(where, len(order) - 1)]
    if not np.all(found & (truth.event[index] == events.event)):
        raise InputFileError("selected events missing from the generated file (different samples?)")
    n = len(truth.event)
    reco_products, reco_mtt, reco_ok = np.full((n, 9), np.nan), np.full(n, np.nan), np.zeros(n, bool)
    reco_products[index], reco_mtt[index], reco_ok[index] = reco.products, reco.mtt, reco.valid
    cos_plus, cos_minus = lepton_cosines(truth.top, truth.antitop, truth.lep_plus, truth.lep_minus)  # for reweighting
    try:
        c_gen = None if model is None else generator_correlation(truth, model)
    except ValueError as err:
        raise ConfigError(f"response spin model: {err}") from None
    return Sample(*parton_observables(truth), reco_products, reco_mtt, reco_ok, n, cos_plus, cos_minus, c_gen)


def read_predictions(path, pointcloud_path, events: PointCloudEvents) -> tuple[dict, np.ndarray]:
    """Assignment {"t", "tbar"} and (N, K, 2, 4) neutrino samples of ``events`` from an
    `evenet predict --split all --neutrino-samples K` file that covers their point-cloud file."""
    try:
        with h5py.File(path, "r") as h:
            files = [Path(f).name for f in h.attrs["files"]]
            index = files.index(Path(pointcloud_path).name)
            rows = np.flatnonzero(h["META/file"][:] == index)
            event = h["META/event"][:][rows].astype(np.int64)
            assignment = {r: h[f"assignment/{r}"][:][rows] for r in ("t", "tbar")}
            name = "neutrino_generation/samples_k" if "neutrino_generation/samples_k" in h else "neutrino_generation/samples"
            samples = h[name][:][rows]
    except (OSError, KeyError, ValueError) as err:
        raise InputFileError(f"{path}: no predictions for {pointcloud_path} ({err})") from None
    if samples.ndim == 3:
        samples = samples[:, None]
    position = {e: i for i, e in enumerate(event)}
    try:
        take = np.array([position[e] for e in events.event], dtype=int)
    except KeyError:
        raise InputFileError(f"{path}: events of {pointcloud_path} without predictions (run predict with --split all)") from None
    return {r: a[take] for r, a in assignment.items()}, samples[take]


def reconstruct(method: str, events: PointCloudEvents, predictions=None) -> Reconstruction:
    if method == "truth":
        return truth_reconstruction(events)
    if method == "analytic":
        return analytic_reconstruction(events)
    return network_reconstruction(events, *predictions)


def measure(setup: UnfoldingSetup, config: dict, response: Sample, data: Sample, xsec_pb: float) -> dict:
    """Unfolded C per m_tt bin and inclusive, D in the threshold bin, bootstrap errors at the
    configured luminosity, and the data sample's own parton-level values for comparison."""
    unc = config["uncertainty"]
    n_reweight = int(config["unfolding"].get("reweighting_iterations", 0)) if "unfolding" in config else 0
    if n_reweight and response.generator_c is None:
        raise ConfigError("unfolding.reweighting_iterations > 0 needs the response sample's generator spin model")
    tb = int(config["threshold_bin"])

    def unfolder_for(weights):
        return SpinUnfolder(setup, response.truth_products, response.truth_mtt, response.reco_products,
                            response.reco_mtt, response.reco_ok, weights=weights)

    def iterate(family):
        """(unfolder, central counts, D per iteration) after ``n_reweight`` spin reweightings."""
        unfolder = unfolder_for(None)
        observed = unfolder.observed(data.reco_products, data.reco_mtt, data.reco_ok)
        counts = unfolder.unfold_central(observed[0])
        history = [float(d_of(unfolder.correlation_matrix(counts)[tb]))]
        for _ in range(n_reweight):
            weights = response_weights(family, unfolder.correlation_matrix(counts), response.truth_cos_plus,
                                       response.truth_cos_minus, response.truth_mtt, setup.mtt_edges,
                                       response.generator_c)
            unfolder = unfolder_for(weights)
            counts = unfolder.unfold_central(observed[0])
            history.append(float(d_of(unfolder.correlation_matrix(counts)[tb])))
        return unfolder, counts, history

    def d_of(c):
        return np.abs(c[..., 0, 0] + c[..., 1, 1]) - c[..., 2, 2]

    unfolder, central_counts, history = iterate(FAMILIES[0])
    alternative = iterate(FAMILIES[1])[2] if n_reweight else history
    rng = np.random.default_rng(int(unc["seed"]))
    weights = rng.poisson(1.0, size=(int(unc["replicas"]), data.n_generated)).astype(float)
    replica_counts = unfolder.unfold_counts(unfolder.observed(data.reco_products, data.reco_mtt, data.reco_ok, weights))
    # inclusive: every m_tt bin together
    def inclusive(counts):
        s = setup
        merged = counts.reshape(*counts.shape[:-1], s.n_mtt, s.z_bins)
        z = unfolder.z_mean.reshape(9, s.n_mtt, s.z_bins)
        return -9.0 * (merged * z).sum(axis=(-1, -2)) / merged.sum(axis=(-1, -2))

    c_bins = unfolder.correlation_matrix(central_counts)                     # (n_mtt, 3, 3)
    c_bins_rep = unfolder.correlation_matrix(replica_counts)                 # (R, n_mtt, 3, 3)
    c_incl, c_incl_rep = inclusive(central_counts).reshape(3, 3), inclusive(replica_counts).reshape(-1, 3, 3)
    expected_generated = xsec_pb * float(unc["luminosity_fb"]) * 1000.0
    scale = np.sqrt(data.n_generated / expected_generated)                    # sample -> luminosity

    d_value = float(d_of(c_bins[tb]))
    d_rep = d_of(c_bins_rep[:, tb])
    sigma_sample = float(np.nanstd(d_rep, ddof=1))
    sigma_lumi = sigma_sample * scale
    diag = np.stack([c_bins_rep[:, tb, i, i] for i in range(3)], axis=1)
    correlation = np.corrcoef(diag[np.isfinite(diag).all(axis=1)].T)

    parton = {}
    for label, b in (("threshold", tb), ("inclusive", None)):
        sel = np.ones(data.n_generated, bool) if b is None else \
            (data.truth_mtt >= setup.mtt_edges[b]) & (data.truth_mtt < setup.mtt_edges[b + 1])
        cos_terms = data.truth_products[sel]
        c_true = -9.0 * cos_terms.mean(axis=0).reshape(3, 3)
        c_err = 9.0 * cos_terms.std(axis=0).reshape(3, 3) / np.sqrt(sel.sum())
        cov = np.cov(-9.0 * cos_terms.T) / sel.sum()
        parton[label] = (c_true, c_err, *marker_d(c_true, cov))

    numbers = {
        "D": Measurement(d_value, sigma_lumi, note=f"unfolded, m_tt bin {tb} "
                         f"[{setup.mtt_edges[tb]:g}, {setup.mtt_edges[tb + 1]:g}) GeV, stat. error at "
                         f"{unc['luminosity_fb']:g}/fb"),
        "D_sample_error": Measurement(sigma_sample, note="bootstrap error of D for this sample's size"),
        "D_model": Measurement(abs(alternative[-1] - d_value), note="unfolding-model uncertainty: |D(sm_shape) - "
                               f"D(constant)| of the spin reweighting (alternative D {alternative[-1]:.4f})"),
        "Delta_D": Measurement(relative_precision(d_value, sigma_lumi), note="sigma_D / (D - 1) at the luminosity"),
        "D_ATLAS": Measurement(atlas_d(c_bins[tb]), float(np.nanstd([atlas_d(c) for c in c_bins_rep[:, tb]], ddof=1)) * scale,
                               note="tr(C)/3, same bin, entangled if < -1/3"),
        "D_parton": Measurement(parton["threshold"][2], parton["threshold"][3],
                                note="this sample's parton-level D in the same bin (error: this sample's size)"),
        "D_inclusive": Measurement(float(d_of(c_incl)), float(np.nanstd(d_of(c_incl_rep), ddof=1)) * scale,
                                   note="unfolded, all m_tt"),
        "D_inclusive_parton": Measurement(parton["inclusive"][2], parton["inclusive"][3]),
    }
    for i, a in enumerate(AXES):
        for j, b in enumerate(AXES):
            numbers[f"C_{a}{b}"] = Measurement(float(c_bins[tb, i, j]),
                                               float(np.nanstd(c_bins_rep[:, tb, i, j], ddof=1)) * scale,
                                               note=f"unfolded, threshold bin, error at {unc['luminosity_fb']:g}/fb")
            numbers[f"C_{a}{b}_parton"] = Measurement(float(parton["threshold"][0][i, j]), float(parton["threshold"][1][i, j]))
    return {"numbers": numbers,
            "extra": {"C_unfolded_per_mtt_bin": c_bins, "reweighting": {"iterations": n_reweight, "D_history": history,
                                                                         "D_history_sm_shape": alternative}, "C_inclusive_unfolded": c_incl,
                      "correlation_kk_rr_nn": correlation, "luminosity_scale": scale,
                      "events": {"response_generated": response.n_generated, "data_generated": data.n_generated,
                                 "data_reconstructed": int(data.reco_ok.sum())}}}


def pairing_numbers(events: PointCloudEvents, reco: Reconstruction) -> dict:
    report = pairing_purity(reco.pairing, {r: np.stack([events.targets[f"{r}/b"], events.targets[f"{r}/l"]], axis=1)
                                           for r in ("t", "tbar")}, TOPOLOGY)
    row = report.fully_reconstructable
    eff = row.event_purity
    return {"pairing_efficiency": Measurement(eff.value, low=eff.low, high=eff.high,
                                              note=f"event purity, both tops reconstructable ({row.events} events)")}


def spin_model(text: str):
    """--response-model: sm (bare or JSON-quoted) or a JSON 3x3 matrix (generator convention)."""
    try:
        value = "sm" if text == "sm" else json.loads(text)
        return value if value == "sm" else np.asarray(value, dtype=float).reshape(3, 3)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected sm or a JSON 3x3 matrix, got {text!r}") from None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--response-generated", nargs="+", required=True, help="generated ROOT file(s) of the response sample")
    p.add_argument("--response-pointcloud", nargs="+", required=True, help="its point-cloud file(s)")
    p.add_argument("--data-generated", nargs="+", required=True, help="generated ROOT file(s) of the unfolded sample")
    p.add_argument("--data-pointcloud", nargs="+", required=True, help="its point-cloud file(s)")
    p.add_argument("--response-model", default="sm", type=spin_model,
                   help="spin state the response sample was generated with: sm (default) or a JSON 3x3 generator C")
    p.add_argument("--xsec-pb", type=float, required=True, help="cross section of the unfolded sample (luminosity scaling)")
    p.add_argument("--predictions", help="network method: `evenet predict --split all` output covering both samples")
    p.add_argument("--checkpoint", help="network method: the checkpoint behind --predictions (recorded)")
    p.add_argument("--label", default="", help="variant/size label written into the result")
    p.add_argument("--output", required=True)
    return p.parse_args(argv)


def run(args) -> Path:
    config = load_config(args.config)
    setup = setup_from(config)
    if args.method == "network" and not args.predictions:
        raise ConfigError("--method network needs --predictions")
    samples, data_reco, data_events = [], None, None
    for generated, pointclouds, model in ((args.response_generated, args.response_pointcloud, args.response_model),
                                          (args.data_generated, args.data_pointcloud, None)):
        truth = read_parton_truth(generated)
        events = read_pointcloud(pointclouds)
        predictions = None
        if args.method == "network":
            parts = [read_predictions(args.predictions, pc, read_pointcloud([pc])) for pc in pointclouds]
            predictions = ({r: np.concatenate([p[0][r] for p in parts]) for r in ("t", "tbar")},
                           np.concatenate([p[1] for p in parts]))
        reco = reconstruct(args.method, events, predictions)
        samples.append(place(truth, events, reco, model))
        data_reco, data_events = reco, events
    result = measure(setup, config, samples[0], samples[1], args.xsec_pb)
    numbers = {**result["numbers"], **pairing_numbers(data_events, data_reco)}
    checkpoints = {"model": args.checkpoint} if args.checkpoint else {}
    return write_result(args.output, numbers, json_config(config), checkpoints, convention=CONVENTION, method=args.method,
                        label=args.label, **result["extra"])


@command("python -m analyses.ttbar_qe.measure")
def main(argv=None) -> int:
    args = parse_args(argv)
    path = run(args)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
