"""``evenet syst-summary``: shifts of the pseudo-experiments from the nominal per model and metric
(median, 68 % and 95 % intervals), result.json and the figures per source."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("syst-summary", help="median, 68 %% and 95 %% intervals of pseudo-experiment shifts")
    p.add_argument("--nominal", required=True, help="batch directory (or experiments.json) of evenet vary --source nominal")
    p.add_argument("--batches", nargs="+", required=True, help="batch directories (or experiments.json) of the sources")
    p.add_argument("--readouts", nargs="*", default=[],
                   help="an analysis' read-outs of the experiments, JSON {label: {model: {metric: {value, error}}}}")
    p.add_argument("--absolute", nargs="*", default=[],
                   help="metrics whose shift is x - nominal (the others: (x - nominal) / sigma_stat of the nominal)")
    p.add_argument("--model-order", nargs="*", default=["scratch", "full"], help="models left to right in the figures")
    p.add_argument("--figures", required=True,
                   help="figure path prefix: <prefix>_<source>.png/.pdf/.caption.rst per source")
    p.add_argument("--figure-style", default="{}", help="JSON: the figures: block (experiment, status, sqrt_s_tev, ...)")
    p.add_argument("--analysis", required=True, help="analysis name (captions, result)")
    p.add_argument("--config", default="{}", help="the resolved systematics config of the analysis as JSON (stored)")
    p.add_argument("-o", "--output", required=True, help="result.json")
    p.set_defaults(func=run)


CAPTION = (
    "{analysis}: {n} {source} pseudo-experiments ({variation}), each evaluated with the nominal trained models "
    "without retraining. Shift of each metric from the nominal evaluation{how}, per experiment (points, coloured by "
    "the experiment's nuisance value); black line: median; green and yellow bands: central 68 % and 95 % intervals "
    "of the shifts (widths printed in each panel). Events: {split} of the varied samples ({events} events per "
    "experiment before the re-selection). {time}"
)


def run(args) -> int:
    import numpy as np

    from evenet.commands.select import json_arg
    from evenet.plots.style import FigureStyle
    from evenet.results import Measurement, write_result
    from evenet.systematics.figures import plot_source
    from evenet.systematics.summary import collect, merge_readout, read_records, summary_table

    nominal = read_records(args.nominal)
    batches = [read_records(b) for b in args.batches]
    for path in args.readouts:
        merge_readout([nominal, *batches], path)
    collected = collect(nominal, batches, args.absolute)
    table = summary_table(collected)
    style = FigureStyle.from_config(json_arg(args.figure_style, "figure-style"))
    numbers = {}
    for shifts in collected:
        seconds = float(shifts.seconds.mean()) if len(shifts.seconds) else float("nan")
        cpu = float(np.nanmean(shifts.cpu_seconds)) if np.isfinite(shifts.cpu_seconds).any() else float("nan")
        numbers[f"{shifts.source}.seconds_per_experiment"] = Measurement(
            seconds, unit="s", note=f"wall time, vary + evaluate every model, {shifts.events} events, mean over experiments")
        numbers[f"{shifts.source}.cpu_seconds_per_experiment"] = Measurement(
            cpu, unit="s", note=f"CPU time, vary + evaluate every model, {shifts.events} events, mean over experiments")
        for model, metrics in table[shifts.source].items():
            for metric, s in metrics.items():
                kind = "x - nominal" if metric in args.absolute else "(x - nominal) / sigma_stat"
                key = f"{shifts.source}.{model}.{metric}"
                numbers[f"{key}.median"] = Measurement(s["median"], low=s["low_68"], high=s["high_68"],
                                                       note=f"median shift {kind}; [low, high]: central 68 %")
                numbers[f"{key}.width_68"] = Measurement(s["width_68"], note=f"width of the central 68 % of {kind}")
                numbers[f"{key}.width_95"] = Measurement(s["width_95"], low=s["low_95"], high=s["high_95"],
                                                         note=f"width of the central 95 % of {kind}")
        variation = next(b["variation"] for b in batches if b["source"] == shifts.source)
        how = " (x - nominal)" if set(args.absolute) >= set(next(iter(shifts.shifts.values()), {})) else \
            ", in units of the nominal's statistical uncertainty" + (
                f" ({', '.join(args.absolute)}: absolute)" if args.absolute else "")
        caption = CAPTION.format(analysis=args.analysis, n=len(shifts.indices), source=shifts.source,
                                 variation=", ".join(f"{k}={v}" for k, v in variation.items() if k != "source"),
                                 how=how, events=shifts.events,
                                 split="every event" if nominal.get("split") is None else f"the {nominal['split']} split",
                                 time=f"Mean time per pseudo-experiment: {seconds:.2f} s wall, {cpu:.2f} s CPU.")
        plot_source(shifts, f"{args.figures}_{shifts.source}", caption, args.model_order, args.absolute, style)
    experiments = {
        s.source: [{"index": int(i), "nuisance": float(v), "shifts": {m: {k: float(x[j]) for k, x in ms.items()}
                                                                      for m, ms in s.shifts.items()}}
                   for j, (i, v) in enumerate(zip(s.indices, s.nuisance))]
        for s in collected
    }
    write_result(args.output, numbers, json_arg(args.config, "config"), nominal["models"],
                 analysis=args.analysis, nominal=nominal["experiments"][0]["metrics"], summary=table,
                 experiments=experiments)
    print(f"{sum(len(s.indices) for s in collected)} pseudo-experiments -> {args.output}")
    return 0
