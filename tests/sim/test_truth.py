"""statusFlags, pruning and mother remapping on a hand-built shower-like record."""

import numpy as np

from evenet.sim.record import GenRecord
from evenet.codes import STATUS_FLAG_FROM_HARD_PROCESS as FROM_HARD_PROCESS
from evenet.codes import STATUS_FLAG_IS_FIRST_COPY as IS_FIRST_COPY
from evenet.codes import STATUS_FLAG_IS_HARD_PROCESS as IS_HARD_PROCESS
from evenet.codes import STATUS_FLAG_IS_LAST_COPY as IS_LAST_COPY
from evenet.codes import STATUS_FLAG_IS_PROMPT as IS_PROMPT
from evenet.sim.truth import pruned_rows, remap_mothers, status_flags

# rows: 0 g(in,-21) 1 g(in,-21) 2 t(-22) 3 t copy(-44) 4 W+(-22) 5 b(-23->-71 style) 6 mu+(23)
#       7 nu(23) 8 B0 hadron(-83 decayed) 9 mu- from B decay(91)
PDG = [21, 21, 6, 6, 24, 5, -13, 14, 511, 13]
STATUS = [-21, -21, -22, -44, -22, -23, 23, 23, -83, 91]
MOTHER = [-1, -1, 0, 2, 3, 3, 4, 4, 5, 8]


def _record():
    n = len(PDG)
    return GenRecord(np.array([n]), np.array(PDG, np.int32), np.array(STATUS, np.int32), np.array(MOTHER, np.int32),
                     np.ones(n), np.zeros(n), np.zeros(n), np.full(n, 10.0))


def _bit(flags, bit):
    return ((flags >> bit) & 1).astype(bool).tolist()


def test_status_flags_follow_cms_bits():
    flags = status_flags(_record())
    assert _bit(flags, IS_HARD_PROCESS) == [True, True, True, False, True, True, True, True, False, False]
    assert _bit(flags, FROM_HARD_PROCESS) == [True, True, True, True, True, True, True, True, False, False]
    assert _bit(flags, IS_FIRST_COPY) == [True, True, True, False, True, True, True, True, True, True]
    assert _bit(flags, IS_LAST_COPY) == [True, True, False, True, True, True, True, True, True, True]
    assert _bit(flags, IS_PROMPT) == [True] * 9 + [False]


def test_pruning_links_to_nearest_kept_ancestor():
    record = _record()
    flags = status_flags(record)
    keep = pruned_rows(record, flags)
    # the non-prompt muon from the B decay is dropped; the top copy is kept (last copy of a top)
    assert keep.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    mothers = remap_mothers(record, np.array([0, 1, 2, 4, 6, 8]))
    # W's mother (the dropped top copy, row 3) resolves to the kept top (position 2);
    # the B hadron's mother (dropped b, row 5) resolves through it to the top copy -> top (position 2)
    assert mothers.tolist() == [-1, -1, 0, 2, 3, 2]
