"""``evenet select``: ingested events of one sample -> preselected events with weights, split, truth."""

from __future__ import annotations

import json

from evenet.errors import ConfigError


def json_arg(text: str, name: str):
    """Parse a JSON option; ``@path`` reads it from a file."""
    try:
        if text.startswith("@"):
            with open(text[1:]) as handle:
                return json.load(handle)
        return json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"--{name}: not valid JSON ({exc})") from None


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("select", help="preselect a sample's ingested events; attach weights, split and truth")
    p.add_argument("inputs", nargs="+", help="ingested Parquet files of one sample")
    p.add_argument("--selection", required=True, help="preselection name (pretrain, xyh, haa, ttbar_2l, dimuon)")
    p.add_argument("--selection-params", required=True, help="the selection's config block as JSON (or @file)")
    p.add_argument("--label", type=int, default=0, help="process class label of the sample in its stream")
    p.add_argument("--sample", default="<sample>", help="the sample's name in the config (named in messages)")
    p.add_argument("--xsec-pb", type=float, default=None,
                   help="cross section in pb (simulation; an error for collision data, whose files have no generator weight)")
    p.add_argument("--lumi-pb", type=float, required=True, help="integrated luminosity in 1/pb")
    p.add_argument("--split", default='{"fractions": {"train": 0.8, "val": 0.1, "test": 0.1}, "seed": 0}',
                   help="JSON: {fractions: {train, val, test}, seed}")
    p.add_argument("--truth", default="{}",
                   help="JSON: {resonances: {...}, identical: [...], match_dr: 0.4, parton_copy: first|last, "
                        "max_invisible: N}")
    p.add_argument("-o", "--output", required=True, help="selected-events Parquet file")
    p.add_argument("--cutflow", required=True, help="cutflow JSON file")
    p.set_defaults(func=run)


def run(args) -> int:
    from evenet.pipeline.select import SelectJob, select_sample
    from evenet.truth.targets import TruthConfig
    from evenet.truth.topology import parse_resonances

    split = json_arg(args.split, "split")
    truth = json_arg(args.truth, "truth")
    # identical (and each resonance's symmetric) describe the assignment topology that build stores.
    unknown = set(truth) - {"resonances", "identical", "match_dr", "parton_copy", "max_invisible"}
    if unknown:
        raise ConfigError(f"truth: unknown key(s) {sorted(unknown)}")
    if truth.get("parton_copy", "first") not in ("first", "last"):
        raise ConfigError("truth.parton_copy: must be 'first' or 'last'")
    job = SelectJob(
        selection=args.selection,
        selection_params=json_arg(args.selection_params, "selection-params"),
        label=args.label,
        sample=args.sample,
        xsec_pb=args.xsec_pb,
        lumi_pb=args.lumi_pb,
        split_fractions=split.get("fractions", {"train": 0.8, "val": 0.1, "test": 0.1}),
        split_seed=int(split.get("seed", 0)),
        truth=TruthConfig(
            resonances=tuple(parse_resonances(truth.get("resonances", {}))),
            max_dr=float(truth.get("match_dr", 0.4)),
            parton_copy=truth.get("parton_copy", "first"),
            max_invisible=int(truth.get("max_invisible", 0)),
        ),
    )
    select_sample(args.inputs, job, args.output, args.cutflow)
    return 0
