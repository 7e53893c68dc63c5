"""Overlap removal between object collections, by angular distance dR.

Order (the issue's): taus within dR < dr of a lepton (electron or muon) are
removed; then jets within dR < dr of a lepton or of a remaining tau are
removed. Leptons and photons are never removed.
"""

from __future__ import annotations

import awkward as ak

from evenet.physics.kinematics import min_delta_r
from evenet.selection.jagged import ordered_concatenate


def remove_overlaps(objects: ak.Array, references: ak.Array, dr: float) -> ak.Array:
    """``objects`` without those within dR < ``dr`` of any of ``references`` (both jagged)."""
    return objects[min_delta_r(objects, references) >= dr]


def clean(objects: dict[str, ak.Array], dr: float) -> dict[str, ak.Array]:
    """Apply the tau-then-jet overlap removal to a {collection: candidates} mapping."""
    directions = {name: objs[["eta", "phi"]] for name, objs in objects.items()}
    leptons = ordered_concatenate([directions["electron"], directions["muon"]], sort="none")
    taus = remove_overlaps(objects["tau"], leptons, dr)
    references = ordered_concatenate([leptons, taus[["eta", "phi"]]], sort="none")
    jets = remove_overlaps(objects["jet"], references, dr)
    return {**objects, "tau": taus, "jet": jets}
