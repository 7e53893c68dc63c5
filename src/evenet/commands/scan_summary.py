"""``evenet scan-summary``: mean and spread over seeds of a fine-tuning scan (Scratch / SSL / Full x fractions)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("scan-summary", help="summarise fine-tuning scan runs (val AUC, convergence) over seeds")
    p.add_argument("metrics", nargs="+", help="metrics.json of runs named <variant>_f<fraction>_s<seed>")
    p.add_argument("-o", "--output", required=True, help="summary JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from evenet.atomic import atomic_output
    from evenet.train.scan_summary import format_table, summarize

    summary = summarize(args.metrics)
    with atomic_output(args.output) as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    print(format_table(summary))
    return 0
