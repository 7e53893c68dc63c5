"""The null distribution of one configuration: its pseudo-experiments on independent no-signal samples, pooled.

One no-signal sample's pseudo-experiments vary the generator ensemble, the generated
events and the classifier, not the data: their band says nothing about the data's own
fluctuation, which dominates (the mass-only bump hunt of one sample is a single draw of
its null). Pooling the pseudo-experiments of K independent no-signal samples (the
cathode config's ``streams.nosignal``) gives the band of the null that a significance on
the signal sample is to be compared with: its median and 16-84 % band, the fraction of
pseudo-experiments above 1, 2 and 3 sigma, the per-sample medians, and the spread of the
per-sample mass-only bump hunts (the null of the reference).

    python -m analyses.cathode.null --results results/cathode/nosignal*/full/calibrated/os_os/result.json \
        --config config/cathode/demo.yaml --label "full calibrated nosignal" --output .../result.json
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from analyses.cathode.config import load_config
from analyses.cathode.search import band
from evenet.errors import UserError, command
from evenet.results import Measurement, read_result, write_result


def pool(results) -> dict:
    """Pooled null numbers of search result.json files (analyses.cathode.search) of no-signal samples."""
    if not results:
        raise UserError("no no-signal result to pool")
    z = np.concatenate([np.asarray(r.extra["significances"], float) for r in results])
    aucs = np.concatenate([np.asarray(r.extra["aucs"], float) for r in results])
    bump = [r.numbers["bump_hunt_significance"].value for r in results]
    per_sample = [float(np.median(r.extra["significances"])) for r in results]
    k = len(results)
    numbers = {"significance": band(z, f"pooled pseudo-experiments of {k} no-signal samples: median, 16-84 %"),
               "bump_hunt_significance": band(bump, f"mass only, median and 16-84 % over the {k} samples"),
               "auc_data_vs_generated": band(aucs, "pooled, out-of-fold SR data vs generated")}
    numbers.update({f"fraction_above_{t}_sigma": Measurement(float(np.mean(z > t)), note="of pooled pseudo-experiments")
                    for t in (1, 2, 3)})
    return {"numbers": numbers, "significances": z.tolist(), "aucs": aucs.tolist(),
            "per_sample_median_significance": per_sample, "per_sample_bump_hunt": bump}


@command("python -m analyses.cathode.null")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", nargs="+", required=True, help="search result.json of each no-signal sample")
    p.add_argument("--config", required=True)
    p.add_argument("--label", default="", help="configuration name written to the result")
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    cfg = load_config(args.config)
    results = [read_result(path) for path in args.results]
    out = pool(results)
    first = results[0].extra["configuration"]
    configuration = {**first, "label": args.label, "samples": args.results}
    checkpoints = sorted({c.path for r in results for c in r.checkpoints})
    write_result(args.output, out.pop("numbers"), cfg, checkpoints, configuration=configuration, **out)
    print(f"pooled null of {len(args.results)} samples -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
