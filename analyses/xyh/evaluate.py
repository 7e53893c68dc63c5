"""One mass point, one method: the numbers of the X -> Y H comparison, as ``result.json``.

From the test-split scores of a network (``evenet predict``) or a booster
(``analyses.xyh.bdt predict``), with the physical event weights scaled by
1 / (test fraction) to the full luminosity:

* ``max_sic``: the maximum of eps_S / sqrt(eps_B) over score cuts that keep a weighted
  background yield >= ``min_background`` (:func:`evenet.stats.sic.sic_scan`), with its
  statistical uncertainty;
* ``xsec_limit``: the expected 95 % CL (CLs, asymptotic) upper limit on the signal
  cross section, from a binned fit of the score with MC statistical uncertainties
  (:mod:`evenet.stats.sensitivity`), quoted for ``reference_xsec_pb`` (low/high: the
  -1/+1 sigma band); ``mu_limit`` the same on the signal strength;
* ``steps_to_min_val_loss`` (optimiser steps of the best validation loss; boosting
  rounds for XGBoost) and ``effective_steps`` = steps x devices x batch size / the
  reference batch size (networks only);
* signal statistics: signal events of the point in each split and the test yields.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import h5py
import numpy as np
import pyhf
import yaml

from evenet.errors import InputFileError, UserError, command
from evenet.pointcloud import schema as S
from evenet.results import Measurement, write_result
from evenet.stats.binning import ScoreBinning
from evenet.stats.sensitivity import cross_section_limit, expected_upper_limit
from evenet.stats.sic import sic_scan

log = logging.getLogger(__name__)


def read_scores(path: str, signal_label: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, is_signal, weight) of the scored events."""
    try:
        with h5py.File(path, "r") as f:
            probabilities = f["classification/probabilities"][:]
            labels = f[S.CLASSIFICATION][:]
            weights = f[S.WEIGHT][:].astype(np.float64)
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: cannot read scores ({err})") from None
    return probabilities[:, signal_label].astype(np.float64), labels == signal_label, weights


def signal_statistics(path: str) -> dict[str, int]:
    """Events of a point's signal point cloud per split."""
    try:
        with h5py.File(path, "r") as f:
            codes = f[f"{S.META}/split"][:] if f"{S.META}/split" in f else np.zeros(0, np.uint8)
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err})") from None
    return {name: int(np.sum(codes == code)) for name, code in S.SPLIT_CODES.items()}


def world_batch(run_config: dict) -> tuple[int, int]:
    """(devices x nodes, batch size per device) of a training run's resolved config."""
    trainer = run_config["trainer"]
    devices = trainer["devices"] if isinstance(trainer["devices"], int) else 1
    return devices * int(trainer["num_nodes"]), int(run_config["data"]["batch_size"])


def training_numbers(metrics_path: str, run_config_path: str | None, reference_batch: int) -> dict[str, Measurement]:
    try:
        metrics = json.loads(Path(metrics_path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputFileError(f"{metrics_path}: cannot read training metrics ({err})") from None
    steps = metrics.get("steps_to_min_val_loss")
    steps = float("nan") if steps is None else float(steps)
    numbers = {"steps_to_min_val_loss": Measurement(steps, note="optimiser steps (boosting rounds for XGBoost) "
                                                                "up to the minimum validation loss"),
               "steps": Measurement(float(metrics["steps"]), note="steps run (early stopping included)")}
    if run_config_path:
        try:
            run_config = yaml.safe_load(Path(run_config_path).read_text())
        except (OSError, yaml.YAMLError) as err:
            raise InputFileError(f"{run_config_path}: cannot read the run's config ({err})") from None
        devices, batch = world_batch(run_config)
        numbers["effective_steps"] = Measurement(steps * devices * batch / reference_batch,
                                                 note=f"steps x devices ({devices}) x batch size ({batch}) / {reference_batch}")
    return numbers


def evaluate(scores: str, signal_file: str, metrics: str, run_config: str | None, output: str, *, signal_label: int,
             test_fraction: float, min_background: float, reference_xsec_pb: float, reference_batch: int,
             binning: dict, point: dict, method: str, seed: int, config: dict, checkpoints: dict) -> dict:
    score, is_signal, weight = read_scores(scores, signal_label)
    weight = weight / test_fraction
    sic = sic_scan(score[is_signal], score[~is_signal], weight[is_signal], weight[~is_signal],
                   min_background=min_background)
    numbers: dict[str, Measurement] = {
        "max_sic": Measurement(sic.max_sic, sic.max_sic_error,
                               note=f"max eps_S/sqrt(eps_B), weighted background yield >= {min_background:g}"),
        "sic_cut": Measurement(sic.cut, note="score cut of the maximum"),
        "eps_s": Measurement(sic.eps_s, sic.eps_s_error), "eps_b": Measurement(sic.eps_b, sic.eps_b_error),
    }
    templates = None
    limit_status = "no signal or no background test events"
    if is_signal.any() and (~is_signal).any():
        templates = ScoreBinning.from_config(binning, "xyh.binning").templates(
            score[is_signal], score[~is_signal], weight[is_signal], weight[~is_signal])
        try:
            mu = expected_upper_limit(templates)
        except pyhf.exceptions.FailedMinimization as err:
            # A nearly flat score (limits of mu ~ 1e3) can leave Minuit's fit invalid: the
            # result keeps its other numbers and says why it has no limit.
            limit_status = f"limit fit failed: {str(err).splitlines()[0]}"
            log.warning("%s: no expected limit (%s)", output, limit_status)
            mu = None
    if templates is not None and mu is not None:
        limit_status = "ok"
        xsec = cross_section_limit(mu, reference_xsec_pb)
        numbers["mu_limit"] = Measurement(mu.median, low=mu.minus1, high=mu.plus1,
                                          note="expected 95 % CL upper limit on mu (CLs, asymptotic; band +-1 sigma)")
        numbers["xsec_limit"] = Measurement(xsec.median, low=xsec.minus1, high=xsec.plus1, unit="pb",
                                            note=f"expected 95 % CL limit on sigma(X -> YH -> bb WW*), mu x {reference_xsec_pb:g} pb")
    numbers.update(training_numbers(metrics, run_config, reference_batch))
    stats = signal_statistics(signal_file)
    for split, count in stats.items():
        numbers[f"signal_{split}_events"] = Measurement(float(count), note=f"signal events of the point, {split} split")
    numbers["signal_test_yield"] = Measurement(float(weight[is_signal].sum()),
                                               float(np.sqrt(np.sum(weight[is_signal] ** 2))), note="weighted, full luminosity")
    numbers["background_test_yield"] = Measurement(float(weight[~is_signal].sum()),
                                                   float(np.sqrt(np.sum(weight[~is_signal] ** 2))), note="weighted, full luminosity")
    write_result(output, numbers, config, checkpoints, point=point, method=method, seed=seed,
                 sic_status=sic.reason if not sic.ok else "ok", limit_status=limit_status,
                 templates=templates.as_dict() if templates is not None else None)
    log.info("%s: max SIC %.3f +- %.3f (%s)", output, sic.max_sic, sic.max_sic_error, method)
    return {name: m.value for name, m in numbers.items()}


@command("python -m analyses.xyh.evaluate")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyses.xyh.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", required=True, help="test-split scores (HDF5, layout of evenet predict)")
    parser.add_argument("--signal-file", required=True, help="the point's signal point cloud (signal statistics)")
    parser.add_argument("--metrics", required=True, help="metrics.json of the training (network or booster)")
    parser.add_argument("--run-config", default=None, help="the network run's resolved config.yaml (effective steps)")
    parser.add_argument("--checkpoint", default=None, help="model checkpoint the scores came from")
    parser.add_argument("--point", required=True, nargs=2, type=int, metavar=("MX", "MY"))
    parser.add_argument("--method", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--config", default="{}", help="JSON of the analysis config used (stored in result.json)")
    parser.add_argument("--signal-label", type=int, default=1)
    parser.add_argument("--test-fraction", type=float, required=True)
    parser.add_argument("--min-background", type=float, default=10.0)
    parser.add_argument("--reference-xsec-pb", type=float, default=1.0)
    parser.add_argument("--reference-batch", type=int, default=256)
    parser.add_argument("--binning", default="{}", help="JSON score binning of the limit fit (evenet.stats.binning)")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not 0 < args.test_fraction <= 1:
        raise UserError(f"--test-fraction must be in (0, 1], got {args.test_fraction}")
    checkpoints = {args.method: args.checkpoint} if args.checkpoint else {}
    evaluate(args.scores, args.signal_file, args.metrics, args.run_config, args.output,
             signal_label=args.signal_label, test_fraction=args.test_fraction, min_background=args.min_background,
             reference_xsec_pb=args.reference_xsec_pb, reference_batch=args.reference_batch,
             binning=json.loads(args.binning), point={"MX": args.point[0], "MY": args.point[1]},
             method=args.method, seed=args.seed, config=json.loads(args.config), checkpoints=checkpoints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
