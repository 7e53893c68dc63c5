"""Delphes specifics: turn the raw Delphes columns into the common event record.

Delphes differs from NanoAOD in ways the record hides:
- leptons carry no mass branch: the PDG masses are used;
- hadronic taus are jets with ``TauTag`` set: they move to ``Tau``;
- ``Jet.BTag`` is a bit mask of working points: bit 0 becomes ``btag`` 0 or 1;
- muons have no tight-ID flag (Delphes' efficiency formula already applied): all tight;
- ``Particle`` has no statusFlags: they are derived from the record with the
  definitions the generator and CMS use (:func:`evenet.genflags.status_flags`).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from evenet.genflags import status_flags

ELECTRON_MASS = 0.000511
MUON_MASS = 0.1056584


def _with_mass(collection: ak.Array, mass: float) -> ak.Array:
    return ak.with_field(collection, ak.zeros_like(collection.pt) + np.float32(mass), "mass")


def finish_delphes_chunk(events: ak.Array) -> ak.Array:
    electrons = _with_mass(events.Electron, ELECTRON_MASS)
    muons = _with_mass(events.Muon, MUON_MASS)
    muons = ak.with_field(muons, ak.ones_like(muons.pt, dtype=bool), "tightId")

    jets = events.Jet
    tau_tag = (jets.tauTag > 0) if "tauTag" in jets.fields else ak.zeros_like(jets.pt, dtype=bool)
    btag = ak.values_astype((jets.btag_bits & 1) > 0, np.float32)
    flavour = jets.hadronFlavour if "hadronFlavour" in jets.fields else ak.zeros_like(jets.btag_bits) - 1
    charge = jets.charge if "charge" in jets.fields else ak.zeros_like(jets.btag_bits)
    kin = {f: jets[f] for f in ("pt", "eta", "phi", "mass")}
    all_jets = ak.zip({**kin, "btag": btag, "hadronFlavour": flavour, "charge": charge, "tau": tau_tag})
    taus = all_jets[all_jets.tau]
    taus = ak.zip({f: taus[f] for f in ("pt", "eta", "phi", "mass", "charge")})
    plain = all_jets[~all_jets.tau]
    plain = ak.zip({f: plain[f] for f in ("pt", "eta", "phi", "mass", "btag", "hadronFlavour")})

    photons = events.Photon
    if "energy" in photons.fields:
        photons = ak.zip({"pt": photons.pt, "eta": photons.eta, "phi": photons.phi, "mass": ak.zeros_like(photons.pt)})

    out = {f: events[f] for f in events.fields}
    out.update(Electron=electrons, Muon=muons, Jet=plain, Tau=taus, Photon=photons)
    if "GenPart" in events.fields:
        out["GenPart"] = _with_status_flags(events.GenPart)
    return ak.zip(out, depth_limit=1)


def _with_status_flags(genpart: ak.Array) -> ak.Array:
    counts = ak.to_numpy(ak.num(genpart, axis=1))
    start = np.repeat(np.cumsum(counts) - counts, counts)
    local_mother = ak.to_numpy(ak.flatten(genpart.motherIdx)).astype(np.int64)
    valid = (local_mother >= 0) & (local_mother < np.repeat(counts, counts))
    flags = status_flags(
        ak.to_numpy(ak.flatten(genpart.pdgId)), np.where(valid, start + local_mother, -1), ak.to_numpy(ak.flatten(genpart.status))
    )
    return ak.with_field(genpart, ak.unflatten(flags, counts), "statusFlags")
