"""Ingest: one ROOT file (NanoAOD or Delphes) -> the event record as chunked Parquet."""

from __future__ import annotations

import logging
from pathlib import Path

from evenet.atomic import atomic_output
from evenet.io.parquet import ChunkWriter
from evenet.io.reader import STEP_SIZE, iterate_events, plan_file, sum_generator_weights

log = logging.getLogger(__name__)


def ingest_file(source: str | Path, fmt: str, output: str | Path, step_size: int = STEP_SIZE,
                progress: bool = True) -> dict:
    """Read ``source`` chunk by chunk into ``output``; return the file summary also stored in its metadata."""
    plan = plan_file(source, fmt)
    sum_w, n_generated = sum_generator_weights(source, fmt)
    summary = {
        "source": str(source),
        "format": fmt,
        "n_events": plan.num_entries,
        "sum_generator_weights": sum_w,
        "n_generated": n_generated,
        "is_data": not plan.has_truth and not plan.has_generator_weight,
    }
    with atomic_output(output) as tmp:
        writer = ChunkWriter(tmp, summary)
        for chunk in iterate_events(source, fmt, step_size=step_size, progress=progress, plan=plan):
            writer.write(chunk)
        writer.close()
    log.info("%s: %d events ingested into %s", source, plan.num_entries, output)
    return summary
