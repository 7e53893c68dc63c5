"""XGBoost baselines on the Table IV features (analyses/xyh/features.py), native API.

* individual: one booster per mass point, trained on the background samples and
  that point's signal;
* parameterised: one booster over the whole grid with (M_X, M_Y) as two more
  features: a signal event's own masses, a background event the grid point it drew
  at build time (``param_MX``, ``param_MY`` of its feature table).

Both train on the ``train`` split, stop early on the ``val`` split's weighted
log-loss, and score the ``test`` split, the same events the networks are scored on.
Event weights are the physical ones with each class scaled to the same total
(balanced), as is usual for a classifier of a rare signal. TabPFN, the paper's other
tabular baseline, needs pretrained weights that cannot be installed offline and is
left out.

    python -m analyses.xyh.bdt train FEATURES... --model M.json --metrics METRICS.json [--parameterised]
    python -m analyses.xyh.bdt predict FEATURES... --model M.json -o SCORES.h5 [--hypothesis MX MY]

``predict`` writes the layout of ``evenet predict`` (``classification/probabilities``,
``CLASSIFICATIONS/EVENT/process``, ``WEIGHTS/weight``, ``META/...``), so one evaluation
reads both.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import h5py
import numpy as np
import pandas as pd

from analyses.xyh.features import FEATURE_NAMES
from evenet.atomic import atomic_output
from evenet.errors import ConfigError, InputFileError, command
from evenet.pointcloud import schema as S

log = logging.getLogger(__name__)

PARAMETER_COLUMNS = ("param_MX", "param_MY")
DEFAULTS = {"max_depth": 4, "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 1.0,
            "num_boost_round": 400, "early_stopping_rounds": 30}


def read_tables(paths: list[str]) -> pd.DataFrame:
    frames = []
    for path in paths:
        try:
            frames.append(pd.read_parquet(path))
        except (OSError, ValueError) as err:
            raise InputFileError(f"{path}: cannot read feature table ({err})") from None
    return pd.concat(frames, ignore_index=True)


def columns(parameterised: bool) -> list[str]:
    return list(FEATURE_NAMES) + (list(PARAMETER_COLUMNS) if parameterised else [])


def balanced_weights(table: pd.DataFrame, signal_label: int) -> np.ndarray:
    """Physical weights, each class scaled to the mean class total."""
    weight = table["weight"].to_numpy(np.float64).copy()
    is_signal = table["label"].to_numpy() == signal_label
    totals = [weight[is_signal].sum(), weight[~is_signal].sum()]
    if min(totals) <= 0:
        raise InputFileError("the training split needs signal and background events of positive total weight")
    mean = sum(totals) / 2
    weight[is_signal] *= mean / totals[0]
    weight[~is_signal] *= mean / totals[1]
    return weight


def _matrix(table: pd.DataFrame, names: list[str], signal_label: int, weights: bool = True):
    import xgboost as xgb

    missing = [n for n in names if n not in table.columns]
    if missing:
        raise InputFileError(f"feature tables lack {missing[0]} (a parameterised model needs "
                             "point clouds built with --parameters)")
    label = (table["label"].to_numpy() == signal_label).astype(np.float32)
    weight = balanced_weights(table, signal_label) if weights else None
    return xgb.DMatrix(table[names].to_numpy(np.float32), label=label, weight=weight, feature_names=names)


def train(paths: list[str], model_path: str, metrics_path: str, parameterised: bool, signal_label: int,
          seed: int, options: dict) -> dict:
    import xgboost as xgb

    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"xgboost: unknown option(s) {sorted(unknown)} (known: {sorted(DEFAULTS)})")
    settings = {**DEFAULTS, **options}
    table = read_tables(paths)
    names = columns(parameterised)
    splits = {name: table[table["split"] == code] for name, code in S.SPLIT_CODES.items()}
    for name in ("train", "val"):
        labels = set(splits[name]["label"])
        if signal_label not in labels or len(labels) < 2:
            raise InputFileError(f"the {name} split has no {'signal' if signal_label not in labels else 'background'} "
                                 f"events in {', '.join(paths)}")
    dtrain = _matrix(splits["train"], names, signal_label)
    dval = _matrix(splits["val"], names, signal_label)
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "nthread": 1,
              "seed": seed, **{k: v for k, v in settings.items() if k not in ("num_boost_round", "early_stopping_rounds")}}
    history: dict = {}
    start = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=int(settings["num_boost_round"]),
                        evals=[(dtrain, "train"), (dval, "val")], evals_result=history,
                        early_stopping_rounds=int(settings["early_stopping_rounds"]), verbose_eval=False)
    seconds = time.perf_counter() - start
    val_loss = history["val"]["logloss"]
    best = int(np.argmin(val_loss))
    metrics = {
        "stage": "xgboost_parameterised" if parameterised else "xgboost",
        "steps": len(val_loss),
        "steps_to_min_val_loss": best + 1,  # boosting rounds up to the minimum validation log-loss
        "best": {"step": best + 1, "val/loss": float(val_loss[best])},
        "devices": 1, "batch_size": int(dtrain.num_row()),  # one round sees every training event
        "train_events": int(dtrain.num_row()), "val_events": int(dval.num_row()),
        "train_signal_events": int((splits["train"]["label"] == signal_label).sum()),
        "seconds": seconds, "events_per_second": dtrain.num_row() * len(val_loss) / seconds if seconds else None,
        "settings": settings, "features": names,
    }
    with atomic_output(model_path) as tmp:
        booster.save_model(str(tmp.with_suffix(".json")))
        tmp.with_suffix(".json").rename(tmp)
    with atomic_output(metrics_path) as tmp:
        tmp.write_text(json.dumps(metrics, indent=1))
    log.info("%s: %d rounds (minimum validation log-loss at %d), %.1f s", model_path, len(val_loss), best + 1, seconds)
    return metrics


def predict(paths: list[str], model_path: str, output: str, signal_label: int, hypothesis: list[float] | None) -> int:
    import xgboost as xgb

    booster = xgb.Booster()
    try:
        booster.load_model(model_path)
    except xgb.core.XGBoostError as err:
        raise InputFileError(f"{model_path}: cannot load XGBoost model ({str(err).splitlines()[0]})") from None
    names = list(booster.feature_names)
    parameterised = set(PARAMETER_COLUMNS) <= set(names)
    if parameterised != (hypothesis is not None):
        raise ConfigError(f"{model_path}: {'a parameterised model needs' if parameterised else 'an individual model takes no'}"
                          " --hypothesis")
    table = read_tables(paths)
    table = table[table["split"] == S.SPLIT_CODES["test"]].reset_index(drop=True)
    if parameterised:
        for name, value in zip(PARAMETER_COLUMNS, hypothesis):
            table[name] = float(value)
    score = booster.predict(_matrix(table, names, signal_label, weights=False)) if len(table) else np.zeros(0)
    probabilities = np.stack([1.0 - score, score], axis=1).astype(np.float32)
    with atomic_output(output) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["checkpoint"] = str(model_path)
        out.attrs["split"] = "test"
        out.attrs["n_events"] = len(table)
        if hypothesis is not None:
            out.attrs["parameters"] = [float(v) for v in hypothesis]
        out.create_dataset("classification/probabilities", data=probabilities)
        out.create_dataset(S.CLASSIFICATION, data=table["label"].to_numpy(np.int64))
        out.create_dataset(S.WEIGHT, data=table["weight"].to_numpy(np.float32))
        for name in ("run", "luminosityBlock", "event"):
            out.create_dataset(f"{S.META}/{name}", data=table[name].to_numpy(np.uint64))
    return len(table)


@command("python -m analyses.xyh.bdt")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyses.xyh.bdt", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a booster on the train split, early-stopped on val")
    t.add_argument("features", nargs="+", help="feature tables (Parquet) of the background and signal samples")
    t.add_argument("--model", required=True, help="booster (XGBoost JSON)")
    t.add_argument("--metrics", required=True, help="training metrics JSON (rounds to the minimum validation loss)")
    t.add_argument("--parameterised", action="store_true", help="(M_X, M_Y) as features")
    t.add_argument("--options", default="{}", help="JSON of booster settings (see DEFAULTS)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--signal-label", type=int, default=1)
    p = sub.add_parser("predict", help="score the test split")
    p.add_argument("features", nargs="+")
    p.add_argument("--model", required=True)
    p.add_argument("-o", "--output", required=True, help="scores HDF5 (layout of evenet predict)")
    p.add_argument("--hypothesis", type=float, nargs=2, default=None, metavar=("MX", "MY"),
                   help="parameterised model: the mass point every event is scored against")
    p.add_argument("--signal-label", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "train":
        try:
            options = json.loads(args.options)
        except json.JSONDecodeError as err:
            raise ConfigError(f"--options: not valid JSON ({err})") from None
        train(args.features, args.model, args.metrics, args.parameterised, args.signal_label, args.seed, options)
    else:
        n = predict(args.features, args.model, args.output, args.signal_label, args.hypothesis)
        log.info("%s: %d test events scored", args.output, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
