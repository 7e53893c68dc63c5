"""Names and layout of the point-cloud HDF5 files (documented in docs/pointcloud.md).

Groups follow SPANet's layout (``INPUTS``, ``TARGETS``, ``CLASSIFICATIONS``,
``REGRESSIONS``) plus ``WEIGHTS`` and ``META``. Feature order is the released
EveNet model's, so its weights can be reused.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
MAX_OBJECTS = 18

SOURCE_FEATURES = ("energy", "pt", "eta", "phi", "btag", "isLepton", "charge")
GLOBAL_FEATURES = ("met", "met_phi", "nLepton", "nbJet", "nJet", "HT", "HT_lep", "M_all", "M_leps", "M_bjets")
# Invisible particles share the first four object features, so the model can
# embed them like objects (the remaining features are zero-padded there).
INVISIBLE_FEATURES = ("energy", "pt", "eta", "phi")

# Per-feature transform before standardisation, and whether to standardise.
# Energies, momenta and masses span orders of magnitude: log1p (as EveNet).
# Categorical features (btag, isLepton, charge) are left as they are.
SOURCE_TRANSFORM = {
    "energy": ("log1p", True), "pt": ("log1p", True), "eta": ("none", True), "phi": ("none", True),
    "btag": ("none", False), "isLepton": ("none", False), "charge": ("none", False),
}
GLOBAL_TRANSFORM = {
    "met": ("log1p", True), "met_phi": ("none", True), "nLepton": ("none", True), "nbJet": ("none", True),
    "nJet": ("none", True), "HT": ("log1p", True), "HT_lep": ("log1p", True), "M_all": ("log1p", True),
    "M_leps": ("log1p", True), "M_bjets": ("log1p", True),
}
INVISIBLE_TRANSFORM = {"energy": ("log1p", True), "pt": ("log1p", True), "eta": ("none", True), "phi": ("none", True)}

SOURCE = "INPUTS/Source"
BTAG_SCORE = "INPUTS/Source/btag_score"  # (N, 18) continuous b-tag discriminant (0 for non-jets and padding)
GLOBALS = "INPUTS/Conditions"
INVISIBLE = "INPUTS/Invisible"
CLASSIFICATION = "CLASSIFICATIONS/EVENT/process"
TARGETS = "TARGETS"
WEIGHT = "WEIGHTS/weight"
META = "META"
META_FIELDS = ("run", "luminosityBlock", "event", "split")
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
