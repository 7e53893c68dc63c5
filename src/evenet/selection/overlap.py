"""Overlap removal between object collections, by angular distance dR.

Order (the issue's): taus within dR < dr of a lepton (electron or muon) are
removed; then jets within dR < dr of a lepton or of a remaining tau are
removed. Leptons and photons are never removed.
"""

from __future__ import annotations

import awkward as ak

from evenet.physics.kinematics import min_delta_r


def remove_overlaps(objects: ak.Array, references: ak.Array, dr: float) -> ak.Array:
    """``objects`` without those within dR < ``dr`` of any of ``references`` (both jagged)."""
    return objects[min_delta_r(objects, references) >= dr]


def clean(objects: dict[str, ak.Array], dr: float) -> dict[str, ak.Array]:
    """Apply the tau-then-jet overlap removal to a {collection: candidates} mapping."""
    leptons = ak.concatenate([objects["electron"], objects["muon"]], axis=1)
    taus = remove_overlaps(objects["tau"], leptons, dr)
    jets = remove_overlaps(objects["jet"], ak.concatenate([leptons, taus], axis=1), dr)
    return {**objects, "tau": taus, "jet": jets}
