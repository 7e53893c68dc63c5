"""One H -> aa -> 4b run (an EveNet fine-tune or SPANet) -> its result.json.

Inputs: the run's test-split predictions in the layout of ``evenet predict``
(``classification/probabilities`` and the pairing of the head named by ``--pairing-head``:
``assignment/<resonance>`` or ``segmentation/<resonance>``), the run's training
summary (``metrics.json`` of ``evenet train`` or ``spanet.json`` of
``analyses.haa.spanet_train``) and the test split exported by ``evenet export spanet``,
which holds the truth targets, the topology and the physical event weights of the same
events (checked event by event).

Numbers (evenet.stats, the same code for EveNet and SPANet):

* ``max_sic``: maximum SIC of the signal-class probability, physical weights, weighted
  background yield >= 10 (``evenet.stats.sic``), with the first-order error at that cut;
* ``event_purity`` (headline pairing efficiency) and ``particle_purity`` on signal events
  with both a's reconstructable, ``event_purity_any`` on those with at least one
  (``evenet.stats.pairing``; Clopper-Pearson 68 % intervals); absent for Cls runs; Cls+Seg
  takes its pairing from the segmentation head (the paper's Fig. 3b, dotted lines);
* ``steps_to_min_val_loss`` (EveNet) or ``steps_to_best_val_accuracy`` (SPANet, which has no
  validation loss), ``train_events``, ``parameters``; for SPANet also its own reported
  event purity (``spanet_event_purity``), which must equal ``event_purity``.

The run (model, variant, size, seed) is read from its directory name
``results/haa/runs/<model>/<variant>_s<size>_seed<seed>``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import h5py
import numpy as np

from evenet.errors import InputFileError, command
from evenet.results import Measurement, write_result
from evenet.stats.pairing import pairing_purity
from evenet.stats.sic import sic_scan

RUN = re.compile(r"^(?P<variant>[a-z]+)_s(?P<size>[0-9.]+)_seed(?P<seed>\d+)$")


def run_identity(path: Path) -> dict:
    match = RUN.match(path.parent.name)
    if not match:
        raise InputFileError(f"{path}: run directory is not <variant>_s<size>_seed<seed>")
    return {"model": path.parent.parent.name, "variant": match["variant"], "size": float(match["size"]),
            "seed": int(match["seed"])}


def read_truth(path: Path) -> dict:
    try:
        with h5py.File(path, "r") as h:
            topology = json.loads(h.attrs["topology"])
            return {"topology": topology, "label": h["CLASSIFICATIONS/EVENT/process"][:],
                    "weight": h["WEIGHTS/weight"][:].astype(float), "event": h["META/event"][:],
                    "file": h["META/file"][:],
                    "targets": {r: {p: h[f"TARGETS/{r}/{p}"][:] for p in spec["products"]}
                                for r, spec in topology["resonances"].items()}}
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: not a test export of `evenet export spanet` ({err})") from None


def read_predictions(path: Path, truth: dict, pairing_head: str = "assignment") -> dict:
    try:
        with h5py.File(path, "r") as h:
            if pairing_head == "segmentation" and pairing_head not in h:
                raise KeyError("segmentation (the segmentation head's pairing)")
            out = {"probabilities": h["classification/probabilities"][:],
                   "assignment": {k: h[f"{pairing_head}/{k}"][:] for k in h[pairing_head]} if pairing_head in h else {}}
            same = (np.array_equal(h["META/event"][:], truth["event"])
                    and np.array_equal(h["META/file"][:], truth["file"]))
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: not a predictions file ({err})") from None
    if not same:
        raise InputFileError(f"{path}: its events differ from the test export's (other files or another order)")
    return out


def measurements(predictions: dict, truth: dict, signal: int) -> dict[str, Measurement]:
    is_signal = truth["label"] == signal
    score = predictions["probabilities"][:, signal].astype(float)
    sic = sic_scan(score[is_signal], score[~is_signal], truth["weight"][is_signal], truth["weight"][~is_signal])
    numbers = {
        "max_sic": Measurement(sic.max_sic, sic.max_sic_error,
                               note="max eps_S/sqrt(eps_B), physical weights, background yield >= 10"),
        "sic_eps_s": Measurement(sic.eps_s, sic.eps_s_error),
        "sic_eps_b": Measurement(sic.eps_b, sic.eps_b_error),
    }
    if predictions["assignment"]:
        report = pairing_purity(predictions["assignment"], truth["targets"], truth["topology"], select=is_signal)
        full, any_ = report.fully_reconstructable, report.row("all")
        note = f"signal test events with every a reconstructable ({full.events})"
        numbers["event_purity"] = Measurement(full.event_purity.value, full.event_purity.error,
                                              full.event_purity.low, full.event_purity.high, note=note)
        numbers["particle_purity"] = Measurement(full.particle_purity.value, full.particle_purity.error,
                                                 full.particle_purity.low, full.particle_purity.high, note=note)
        numbers["event_purity_any"] = Measurement(any_.event_purity.value, any_.event_purity.error,
                                                  any_.event_purity.low, any_.event_purity.high,
                                                  note=f"signal test events with >= 1 a reconstructable ({any_.events})")
    return numbers


def training_numbers(metrics_path: Path) -> tuple[dict[str, Measurement], dict]:
    try:
        metrics = json.loads(metrics_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputFileError(f"{metrics_path}: cannot read the training summary ({err})") from None
    if metrics.get("model") == "SPANet 2.1.1":
        numbers = {"steps_to_best_val_accuracy": Measurement(float(metrics["steps_to_best_validation_accuracy"]
                                                                   if metrics["steps_to_best_validation_accuracy"]
                                                                   is not None else np.nan)),
                   "train_events": Measurement(float(metrics["train_events"])),
                   "parameters": Measurement(float(metrics["n_parameters"]))}
        reported = metrics["purity"].get("Purity/2a/event_purity")
        numbers["spanet_event_purity"] = Measurement(np.nan if reported is None else float(reported),
                                                     note="SPANet's own report (SymmetricEvaluator), category 2a")
        return numbers, {"spanet_options": metrics["options"]}
    numbers = {"steps_to_min_val_loss": Measurement(float(metrics["steps_to_min_val_loss"])),
               "train_events": Measurement(float(metrics["train_events"])),
               "parameters": Measurement(float(metrics["parameters"]["total"])),
               "val_auc": Measurement(float(metrics["val_auc"]))}
    return numbers, {"initialised_from": metrics.get("initialised_from")}


@command("python -m analyses.haa.evaluate")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--predictions", required=True, type=Path)
    p.add_argument("--metrics", required=True, type=Path, help="metrics.json (EveNet) or spanet.json (SPANet)")
    p.add_argument("--truth", required=True, type=Path, help="test split of `evenet export spanet`")
    p.add_argument("--signal-label", required=True, type=int, help="class label of the signal")
    p.add_argument("--pairing-head", choices=("assignment", "segmentation"), default="assignment",
                   help="head whose pairing gives the purities (default: assignment)")
    p.add_argument("--reference-events", type=float, default=None, help="nominal events of the reference size")
    p.add_argument("-o", "--output", required=True, type=Path)
    args = p.parse_args(argv)
    run = run_identity(args.predictions)
    truth = read_truth(args.truth)
    numbers = measurements(read_predictions(args.predictions, truth, args.pairing_head), truth, args.signal_label)
    more, extra = training_numbers(args.metrics)
    numbers.update(more)
    checkpoint = args.predictions.parent / "best.ckpt"
    write_result(args.output, numbers,
                 config={"run": run, "reference_events": args.reference_events, "signal_label": args.signal_label,
                         "pairing_head": args.pairing_head},
                 checkpoints={"best": checkpoint} if checkpoint.exists() else {}, run=run, **extra)
    print(json.dumps({k: v.value for k, v in numbers.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
