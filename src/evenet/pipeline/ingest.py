"""Ingest: one ROOT file (NanoAOD or Delphes) -> the event record as chunked Parquet.

What is read is what the streams fed by the file's sample need
(:func:`sample_record_needs`, passed to ``evenet ingest --needs`` by the
workflow): the union of their selections' needs, plus GenPart where a stream
asks for truth targets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from evenet.atomic import atomic_output
from evenet.io.needs import FULL_RECORD, RecordNeeds
from evenet.io.parquet import ChunkWriter
from evenet.io.reader import STEP_SIZE, iterate_events, plan_file, sum_generator_weights

log = logging.getLogger(__name__)

TRUTH = RecordNeeds(optional=frozenset({"GenPart"}))


def stream_record_needs(selection: str, selection_params: Mapping, truth: Mapping) -> RecordNeeds:
    """What one stream reads: its selection's needs, and GenPart (optional: data has none) for truth targets."""
    from evenet.selection.preselections import record_needs

    needs = record_needs(selection, selection_params)
    wants_truth = bool(truth.get("resonances")) or truth.get("max_invisible", 0) > 0
    return needs | TRUTH if wants_truth else needs


def sample_record_needs(config: Mapping, selections: Mapping, sample: str) -> RecordNeeds:
    """The union of the needs of every stream ``sample`` feeds (config/config.yaml); the full record if none."""
    needs = None
    for spec in config["streams"].values():
        if any(sample in members for members in spec["classes"].values()):
            stream = stream_record_needs(spec["selection"], selections[spec["selection"]], spec.get("truth", {}))
            needs = stream if needs is None else needs | stream
    return needs or FULL_RECORD


def ingest_file(source: str | Path, fmt: str, output: str | Path, step_size: int = STEP_SIZE, progress: bool = True,
                needs: RecordNeeds = FULL_RECORD) -> dict:
    """Read ``source`` chunk by chunk into ``output``; return the file summary also stored in its metadata."""
    plan = plan_file(source, fmt, needs)
    sum_w, n_generated = sum_generator_weights(source, fmt)
    summary = {
        "source": str(source),
        "format": fmt,
        "n_events": plan.num_entries,
        "sum_generator_weights": sum_w,
        "n_generated": n_generated,
        "is_data": not plan.has_generator_weight,
        "event_id": plan.event_id,
        "read": plan.read_keys(),
    }
    with atomic_output(output) as tmp:
        writer = ChunkWriter(tmp, summary)
        for chunk in iterate_events(source, fmt, step_size=step_size, progress=progress, plan=plan):
            writer.write(chunk)
        writer.close()
    log.info("%s: %d events ingested into %s", source, plan.num_entries, output)
    return summary
