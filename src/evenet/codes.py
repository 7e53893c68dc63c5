"""Integer codes shared by every layer: object kinds and generator statusFlags bits.

This module sits at the bottom of the stack (it imports nothing from evenet),
so readers, truth, selections, point cloud and the generator can all use the
same numbers without importing each other.
"""

from __future__ import annotations

# Kind of a point-cloud object (the ``kind`` field of selected objects).
KIND_JET = 0
KIND_ELECTRON = 1
KIND_MUON = 2
KIND_TAU = 3
KIND_PHOTON = 4
LEPTON_KINDS = (KIND_ELECTRON, KIND_MUON)

# Bits of NanoAOD GenPart_statusFlags, CMS convention
# (DataFormats/HepMCCandidate/interface/GenStatusFlags.h, documented in
# PhysicsTools/NanoAOD/python/genparticles_cff.py). Only the bits the pipeline
# sets or reads are named; evenet.genflags computes them.
STATUS_FLAG_IS_PROMPT = 0
STATUS_FLAG_IS_DECAYED_LEPTON_HADRON = 1
STATUS_FLAG_IS_HARD_PROCESS = 7
STATUS_FLAG_FROM_HARD_PROCESS = 8
STATUS_FLAG_IS_FIRST_COPY = 12
STATUS_FLAG_IS_LAST_COPY = 13
