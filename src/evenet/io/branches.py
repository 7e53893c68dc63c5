"""Branch maps: which ROOT branch fills which field of the event record.

A :class:`Collection` ties one record collection (see :mod:`evenet.io.events`)
to the branches of one input format. Branch names follow coffea's
``NanoAODSchema`` (CMS NanoAOD) and ``DelphesSchema`` (Delphes leaf names).
Which collections are read, and whether a missing one is an error, is up to
the selection (:mod:`evenet.io.needs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evenet.io.delphes import MUON_IDS as DELPHES_MUON_IDS
from evenet.io.events import MUON_ID_FIELDS

FORMATS = ("nanoaod", "delphes")
# Events per chunk read at a time when none is given; the pipeline config's `step_size`
# default (workflow/schemas/config.schema.yaml) is the same number, a test keeps them equal.
STEP_SIZE = 50_000


@dataclass(frozen=True)
class Collection:
    """One jagged collection of the event record and the branches that fill it."""

    name: str
    branches: dict[str, str]
    """record field -> branch name; every one of these must exist once the collection exists"""
    optional_branches: dict[str, str] = field(default_factory=dict)
    """record field -> branch name, read when the file has it (required when a selection needs the field)"""
    derived_fields: tuple[str, ...] = ()
    """fields the reader fills without a branch of their own (see evenet.io.delphes)"""
    source: str | None = None
    """the collection this one is cut out of (Delphes hadronic taus are tau-tagged jets)"""

    def presence_branch(self) -> str:
        return next(iter(self.branches.values()))

    def branch_of(self, record_field: str) -> str | None:
        return self.branches.get(record_field) or self.optional_branches.get(record_field)


NANOAOD_COLLECTIONS = (
    Collection("Electron", {f: f"Electron_{f}" for f in ("pt", "eta", "phi", "mass", "charge")}),
    Collection(
        "Muon",
        {f: f"Muon_{f}" for f in ("pt", "eta", "phi", "mass", "charge")},
        {f: f"Muon_{f}" for f in MUON_ID_FIELDS},
    ),
    Collection("Tau", {f: f"Tau_{f}" for f in ("pt", "eta", "phi", "mass", "charge")}),
    Collection("Photon", {f: f"Photon_{f}" for f in ("pt", "eta", "phi", "mass")}),
    Collection(
        "Jet",
        {**{f: f"Jet_{f}" for f in ("pt", "eta", "phi", "mass")}, "btag": "Jet_btagDeepFlavB"},
        {"hadronFlavour": "Jet_hadronFlavour"},
    ),
    Collection(
        "GenPart",
        {
            **{f: f"GenPart_{f}" for f in ("pt", "eta", "phi", "mass", "pdgId", "status", "statusFlags")},
            "motherIdx": "GenPart_genPartIdxMother",
        },
    ),
)
NANOAOD_EVENT_ID = {"run": "run", "luminosityBlock": "luminosityBlock", "event": "event"}
NANOAOD_TRIGGER_PREFIX = "HLT_"
NANOAOD_MET = {"pt": "MET_pt", "phi": "MET_phi"}
NANOAOD_WEIGHT = "genWeight"

DELPHES_COLLECTIONS = (
    Collection("Electron", {f: f"Electron.{b}" for f, b in (("pt", "PT"), ("eta", "Eta"), ("phi", "Phi"), ("charge", "Charge"))}),
    Collection(
        "Muon",
        {f: f"Muon.{b}" for f, b in (("pt", "PT"), ("eta", "Eta"), ("phi", "Phi"), ("charge", "Charge"))},
        {"pfRelIso04_all": "Muon.IsolationVar", "dxy": "Muon.D0", "dz": "Muon.DZ"},
        derived_fields=DELPHES_MUON_IDS,
    ),
    Collection("Tau", {}, source="Jet"),
    Collection("Photon", {f: f"Photon.{b}" for f, b in (("pt", "PT"), ("eta", "Eta"), ("phi", "Phi"), ("energy", "E"))}),
    Collection(
        "Jet",
        {f: f"Jet.{b}" for f, b in (("pt", "PT"), ("eta", "Eta"), ("phi", "Phi"), ("mass", "Mass"), ("btag_bits", "BTag"))},
        {"tauTag": "Jet.TauTag", "charge": "Jet.Charge", "hadronFlavour": "Jet.Flavor"},
    ),
    Collection(
        "GenPart",
        {
            f: f"Particle.{b}"
            for f, b in (
                ("pt", "PT"), ("eta", "Eta"), ("phi", "Phi"), ("mass", "Mass"),
                ("pdgId", "PID"), ("status", "Status"), ("motherIdx", "M1"),
            )
        },
    ),
)
DELPHES_MET = {"pt": "MissingET.MET", "phi": "MissingET.Phi"}
DELPHES_EVENT_NUMBER = "Event.Number"
DELPHES_WEIGHT = "Event.Weight"


def collections(fmt: str) -> dict[str, Collection]:
    return {c.name: c for c in (NANOAOD_COLLECTIONS if fmt == "nanoaod" else DELPHES_COLLECTIONS)}
