"""The precision of D on systematic pseudo-experiments (issue 14, docs/systematics.md).

Each pseudo-experiment of ``evenet vary`` holds the varied point cloud of the measured
(data) sample and each nominal model's predictions on it. Here every experiment's data is
reconstructed with that model (predicted pairing, sampled neutrinos), unfolded with the
nominal response (response sample, nominal predictions of the same model) and D and its
precision Delta D = sigma_D / (D - 1) are measured as ``analyses.ttbar_qe.measure`` does.
Written: {label: {model: {delta_d: {value}, D: {value, error}}}}, the read-out that
``evenet syst-summary --readouts`` merges.

    python -m analyses.ttbar_qe.systematics --config config/ttbar_qe/ttbar_qe.yaml \
        --response-generated R.root --response-pointcloud R.h5 --data-generated D.root \
        --response-model sm --xsec-pb 40 --nominal-predictions full=P_full.h5 scratch=P_scratch.h5 \
        --batches results/systematics/ttbar_qe/nominal ... --output readout.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


from analyses.ttbar_qe.events import read_parton_truth, read_pointcloud
from analyses.ttbar_qe.measure import load_config, measure, place, read_predictions, reconstruct, setup_from, spin_model
from evenet.atomic import atomic_output
from evenet.errors import ConfigError, InputFileError, command
from evenet.systematics.batch import RECORDS
from evenet.systematics.summary import read_records


def _network(truth, pointcloud: Path, predictions: Path, model=None):
    events = read_pointcloud([pointcloud])
    return place(truth, events, reconstruct("network", events, read_predictions(predictions, pointcloud, events)), model)


def nominal_predictions(items) -> dict[str, str]:
    """--nominal-predictions MODEL=PREDICTIONS ... as {model: path}."""
    out = {}
    for item in items:
        model, sep, path = item.partition("=")
        if not (sep and model and path):
            raise ConfigError(f"--nominal-predictions: expected MODEL=PREDICTIONS, got {item!r}")
        out[model] = path
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="config/ttbar_qe/ttbar_qe.yaml")
    p.add_argument("--response-generated", nargs="+", required=True)
    p.add_argument("--response-pointcloud", required=True, help="the nominal response point cloud")
    p.add_argument("--data-generated", nargs="+", required=True, help="generated files of the varied (data) sample")
    p.add_argument("--response-model", default="sm", type=spin_model,
                   help="spin state the response sample was generated with: sm (default) or a JSON 3x3 generator C")
    p.add_argument("--xsec-pb", type=float, required=True)
    p.add_argument("--nominal-predictions", nargs="+", required=True, metavar="MODEL=PREDICTIONS",
                   help="each model's nominal predictions covering the response sample (evenet predict --split all)")
    p.add_argument("--batches", nargs="+", required=True, help="batch directories of evenet vary (nominal included)")
    p.add_argument("--output", required=True)
    return p.parse_args(argv)


def run(args) -> Path:
    config = load_config(args.config)
    setup = setup_from(config)
    nominal = nominal_predictions(args.nominal_predictions)
    response_truth = read_parton_truth(args.response_generated)
    data_truth = read_parton_truth(args.data_generated)
    responses = {m: _network(response_truth, Path(args.response_pointcloud), Path(p), args.response_model)
                 for m, p in nominal.items()}
    out: dict = {}
    origin: dict[str, str] = {}
    for batch in args.batches:
        document = read_records(batch)
        try:
            samples, models = document["samples"], document["models"]
        except KeyError as err:
            raise InputFileError(f"{Path(batch) / RECORDS}: no key {err} (not written by evenet vary?)") from None
        if len(samples) != 1:
            raise ConfigError(f"{batch}: expected the data sample alone, got {samples}")
        sample = samples[0]
        for record in document["experiments"]:
            if record["label"] in origin:
                raise ConfigError(f"--batches: experiment {record['label']!r} is in both {origin[record['label']]} "
                                  f"and {batch}")
            origin[record["label"]] = batch
            folder = Path(batch) / record["label"]
            for model in models:
                if model not in responses:
                    raise ConfigError(f"--nominal-predictions: no predictions of model {model!r} (batch {batch})")
                data = _network(data_truth, folder / "pointcloud" / f"{sample}.h5", folder / "predictions" / f"{model}.h5")
                numbers = measure(setup, config, responses[model], data, args.xsec_pb)["numbers"]
                d, delta = numbers["D"], numbers["Delta_D"]
                out.setdefault(record["label"], {})[model] = {
                    "delta_d": {"value": float(delta.value), "error": None},
                    "D": {"value": float(d.value), "error": float(d.error)},
                }
    with atomic_output(args.output) as tmp:
        tmp.write_text(json.dumps(out, indent=2, allow_nan=True) + "\n")
    return Path(args.output)


@command("python -m analyses.ttbar_qe.systematics")
def main(argv=None) -> int:
    args = parse_args(argv)
    path = run(args)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
