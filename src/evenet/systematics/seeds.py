"""Seeds of pseudo-experiments and per-event random numbers that do not depend on file order.

Every pseudo-experiment has its own seed, derived from the configured seed, the source
and its index; per-event draws use a uniform number fixed by the event's identity
(run, luminosityBlock, event) and that seed (the hash of the train/val/test split), so
an event gets the same draw whatever the chunking, the file order or the split kept.
"""

from __future__ import annotations

import zlib

import numpy as np

from evenet.pointcloud.split import event_uniform


def experiment_seed(seed: int, source: str, index: int) -> int:
    """The seed of pseudo-experiment ``index`` of ``source`` (a 63-bit integer)."""
    state = np.random.SeedSequence([int(seed), zlib.crc32(source.encode()), int(index)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def event_uniforms(seed: int, stream: int, run, lumi, event) -> np.ndarray:
    """A uniform number in [0, 1) per event for random stream ``stream`` of a pseudo-experiment."""
    derived = experiment_seed(seed, "event-stream", stream)
    return event_uniform(np.asarray(run), np.asarray(lumi), np.asarray(event), derived)
