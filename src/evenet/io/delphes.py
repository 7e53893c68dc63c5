"""Delphes specifics: turn the raw Delphes columns into the common event record.

Delphes differs from NanoAOD in ways the record hides:
- leptons carry no mass branch: the PDG masses are used;
- hadronic taus are jets with ``TauTag`` set: they move to ``Tau``;
- ``Jet.BTag`` is a bit mask of working points: bit 0 becomes ``btag`` 0 or 1;
- muons have no identification flags (Delphes' efficiency formula already
  applied): all pass loose, medium, tight and soft ID; ``D0``/``DZ`` (mm) become
  ``dxy``/``dz`` in cm as in NanoAOD;
- ``Particle`` has no statusFlags: they are derived from the record with the
  definitions the generator and CMS use (:func:`evenet.genflags.status_flags`).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from evenet.genflags import status_flags

ELECTRON_MASS = 0.000511
MUON_MASS = 0.1056584
CM_PER_MM = 0.1  # Delphes' Muon.D0 and DZ are in mm, the record's dxy and dz in cm (NanoAOD)
MUON_IDS = ("looseId", "mediumId", "tightId", "softId")


def _with_mass(collection: ak.Array, mass: float) -> ak.Array:
    return ak.with_field(collection, ak.zeros_like(collection.pt) + np.float32(mass), "mass")


def finish_delphes_chunk(events: ak.Array) -> ak.Array:
    """The common record from the raw Delphes columns; works on whichever collections were read."""
    out = {f: events[f] for f in events.fields}
    if "Electron" in out:
        out["Electron"] = _with_mass(events.Electron, ELECTRON_MASS)
    if "Muon" in out:
        out["Muon"] = _finish_muons(events.Muon)
    if "Jet" in out and "btag_bits" in events.Jet.fields:
        out["Jet"], out["Tau"] = _split_jets(events.Jet)
    if "Photon" in out and "energy" in events.Photon.fields:
        photons = events.Photon
        out["Photon"] = ak.zip({"pt": photons.pt, "eta": photons.eta, "phi": photons.phi, "mass": ak.zeros_like(photons.pt)})
    if "GenPart" in out:
        out["GenPart"] = _with_status_flags(events.GenPart)
    return ak.zip(out, depth_limit=1)


def _finish_muons(muons: ak.Array) -> ak.Array:
    muons = _with_mass(muons, MUON_MASS)
    for name in MUON_IDS:
        muons = ak.with_field(muons, ak.ones_like(muons.pt, dtype=bool), name)
    for name in ("dxy", "dz"):
        if name in muons.fields:
            muons = ak.with_field(muons, muons[name] * np.float32(CM_PER_MM), name)
    return muons


def _split_jets(jets: ak.Array) -> tuple[ak.Array, ak.Array]:
    """(jets, hadronic taus): taus are the jets with TauTag set; BTag bit 0 is the b-tag."""
    tau_tag = (jets.tauTag > 0) if "tauTag" in jets.fields else ak.zeros_like(jets.pt, dtype=bool)
    btag = ak.values_astype((jets.btag_bits & 1) > 0, np.float32)
    flavour = jets.hadronFlavour if "hadronFlavour" in jets.fields else ak.zeros_like(jets.btag_bits) - 1
    charge = jets.charge if "charge" in jets.fields else ak.zeros_like(jets.btag_bits)
    kin = {f: jets[f] for f in ("pt", "eta", "phi", "mass")}
    all_jets = ak.zip({**kin, "btag": btag, "hadronFlavour": flavour, "charge": charge, "tau": tau_tag})
    taus = all_jets[all_jets.tau]
    plain = all_jets[~all_jets.tau]
    return (ak.zip({f: plain[f] for f in ("pt", "eta", "phi", "mass", "btag", "hadronFlavour")}),
            ak.zip({f: taus[f] for f in ("pt", "eta", "phi", "mass", "charge")}))


def _with_status_flags(genpart: ak.Array) -> ak.Array:
    counts = ak.to_numpy(ak.num(genpart, axis=1))
    start = np.repeat(np.cumsum(counts) - counts, counts)
    local_mother = ak.to_numpy(ak.flatten(genpart.motherIdx)).astype(np.int64)
    valid = (local_mother >= 0) & (local_mother < np.repeat(counts, counts))
    flags = status_flags(
        ak.to_numpy(ak.flatten(genpart.pdgId)), np.where(valid, start + local_mother, -1), ak.to_numpy(ak.flatten(genpart.status))
    )
    return ak.with_field(genpart, ak.unflatten(flags, counts), "statusFlags")
