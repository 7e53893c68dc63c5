"""Cutflows of the H -> aa -> 4b stream -> result.json: signal efficiency of the selection,
weighted yields at the luminosity and S/B after selection.

Reads the ``results/cutflow/<stream>/<sample>.json`` of ``evenet select`` (weighted
column ``weighted_xsec_lumi``: events at the configured luminosity). The signal efficiency
is passed / generated (unweighted events: the generator weights are 1), with a
Clopper-Pearson 68 % interval; yields carry the Poisson error of their raw counts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from evenet.errors import InputFileError, command
from evenet.results import Measurement, write_result
from evenet.stats.intervals import efficiency


def read(path: Path) -> dict:
    try:
        flow = json.loads(path.read_text())["cutflow"]
        return {"first": flow[0], "last": flow[-1], "cuts": flow}
    except (OSError, json.JSONDecodeError, KeyError, IndexError) as err:
        raise InputFileError(f"{path}: not a cutflow of `evenet select` ({err})") from None


def yield_of(step: dict) -> Measurement:
    events, value = step["events"], step["weighted_xsec_lumi"]
    return Measurement(value, value / np.sqrt(events) if events else float("nan"), unit="events")


@command("python -m analyses.haa.cutflow")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cutflows", nargs="+", type=Path)
    p.add_argument("--signal", nargs="+", required=True, help="signal sample names")
    p.add_argument("-o", "--output", required=True, type=Path)
    args = p.parse_args(argv)
    flows = {path.stem: read(path) for path in args.cutflows}
    numbers = {}
    s = b = 0.0
    for name, flow in flows.items():
        eff = efficiency(flow["last"]["events"], flow["first"]["events"])
        numbers[f"{name}/efficiency"] = Measurement(eff.value, eff.error, eff.low, eff.high)
        numbers[f"{name}/yield"] = yield_of(flow["last"])
        if name in args.signal:
            s += flow["last"]["weighted_xsec_lumi"]
        else:
            b += flow["last"]["weighted_xsec_lumi"]
    numbers["signal_yield"] = Measurement(s, unit="events")
    numbers["background_yield"] = Measurement(b, unit="events")
    numbers["s_over_b"] = Measurement(s / b if b > 0 else float("nan"), note="after selection")
    write_result(args.output, numbers, config={"cutflows": [str(p) for p in args.cutflows], "signal": args.signal},
                 cutflows={name: flow["cuts"] for name, flow in flows.items()})
    print(f"S = {s:.1f}, B = {b:.1f}, S/B = {numbers['s_over_b'].value:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
