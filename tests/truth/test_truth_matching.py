"""Truth: decay-tree navigation and parton-object matching on hand-built events with known answers."""

from __future__ import annotations

import awkward as ak
import numpy as np

from evenet.codes import KIND_ELECTRON, KIND_JET, KIND_MUON, STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT
from evenet.truth.genparticles import build_tree
from evenet.truth.targets import TruthConfig, assignment_targets, invisible_targets
from evenet.truth.topology import parse_resonances

LAST_PROMPT = (1 << STATUS_FLAG_IS_LAST_COPY) | (1 << STATUS_FLAG_IS_PROMPT)

# A semileptonic ttbar record with generator copies, as Pythia writes it:
#  0 g, 1 g (beams) -> 2 t, 3 tbar; 4 t (copy of 2), 5 tbar (copy of 3)
#  4 -> 6 W+ (22), 7 b;   5 -> 8 W-, 9 bbar
#  6 -> 10 W+ (copy) -> 11 u, 12 dbar;  8 -> 13 mu-, 14 nu_mu bar;  7 -> 15 b (copy after FSR)
PDG = [21, 21, 6, -6, 6, -6, 24, 5, -24, -5, 24, 2, -1, 13, -14, 5]
MOTHER = [-1, -1, 0, 0, 2, 3, 4, 4, 5, 5, 6, 10, 10, 8, 8, 7]
ETA = [0, 0, 0, 0, 0, 0, 0, 0.5, 0, -1.0, 0, 1.5, -0.5, 0.8, 2.0, 0.52]
PHI = [0, 0, 0, 0, 0, 0, 0, 1.0, 0, -2.0, 0, 2.5, -1.0, 0.0, 1.5, 1.02]
PT = [0, 0, 100, 90, 100, 90, 60, 70, 50, 65, 60, 40, 35, 45, 30, 66]


def _events():
    n = len(PDG)
    flags = [LAST_PROMPT if p in (-14, 13) else 0 for p in PDG]
    gen = ak.zip({
        "pdgId": [PDG], "motherIdx": [MOTHER], "eta": [ETA], "phi": [PHI], "pt": [PT],
        "mass": [[0.0] * n], "status": [[1] * n], "statusFlags": [flags],
    })
    return ak.zip({"GenPart": gen}, depth_limit=1)


def _objects():
    # Slots: muon near the mu-, a jet near each quark, plus an unrelated jet; kinds as the selection writes them.
    slots = [
        (0.81, 0.02, KIND_MUON), (0.52, 1.02, KIND_JET), (1.49, 2.52, KIND_JET),
        (-0.52, -1.01, KIND_JET), (-1.0, -2.0, KIND_JET), (3.0, 3.0, KIND_JET), (1.5, 2.5, KIND_ELECTRON),
    ]
    return ak.Array([[{"eta": e, "phi": p, "kind": k} for e, p, k in slots]])


def test_copy_resolution():
    tree = build_tree(_events().GenPart)
    assert tree.first_copy[4] == 2 and tree.first_copy[10] == 6 and tree.first_copy[15] == 7
    assert tree.parent[6] == 2 and tree.parent[11] == 6 and tree.parent[13] == 8 and tree.parent[9] == 3
    assert list(np.flatnonzero(~tree.is_last_copy)) == [2, 3, 6, 7]


def test_assignment_targets_on_known_event():
    res = parse_resonances({
        "t_had": {"pdgId": 6, "products": {"b": ["b"], "q1": ["W", "quark"], "q2": ["W", "quark"]}},
        "t_lep": {"pdgId": 6, "products": {"b": ["b"], "l": ["W", "lepton"]}},
    })
    targets = assignment_targets(_events(), _objects(), TruthConfig(tuple(res), max_dr=0.4))
    # q1 is the harder W daughter (u, pt 40) -> slot 2; q2 (dbar) -> slot 3; the electron slot 6
    # sits on the u quark but is the wrong kind for a quark.
    assert {p: int(v[0]) for p, v in targets["t_had"].items()} == {"b": 1, "q1": 2, "q2": 3}
    assert {p: int(v[0]) for p, v in targets["t_lep"].items()} == {"b": 4, "l": 0}


def test_signed_resonances_and_last_copy():
    res = parse_resonances({
        "t": {"pdgId": 6, "conjugate": False, "products": {"b": ["b"]}},
        "tbar": {"pdgId": -6, "conjugate": False, "products": {"b": ["b"]}},
    })
    first = assignment_targets(_events(), _objects(), TruthConfig(tuple(res), max_dr=0.4))
    assert int(first["t"]["b"][0]) == 1 and int(first["tbar"]["b"][0]) == 4
    # Slot 1 sits on the b after FSR (copy 15), 0.028 from the b as it left the top decay.
    tight_first = assignment_targets(_events(), _objects(), TruthConfig(tuple(res), max_dr=0.015))
    tight_last = assignment_targets(_events(), _objects(), TruthConfig(tuple(res), max_dr=0.015, parton_copy="last"))
    assert int(tight_first["t"]["b"][0]) == -1 and int(tight_last["t"]["b"][0]) == 1


def test_ambiguous_match_left_unassigned():
    res = parse_resonances({"t_had": {"pdgId": 6, "products": {"q1": ["W", "quark"], "q2": ["W", "quark"]}}})
    shared = ak.Array([[{"eta": 0.5, "phi": 0.75, "kind": KIND_JET}]])
    events = _events()
    gen = events.GenPart
    # Move both W daughters next to the single jet: both claim slot 0, so neither gets it.
    gen = ak.with_field(gen, ak.Array([[e if i not in (11, 12) else 0.45 + 0.1 * (i - 11) for i, e in enumerate(ETA)]]), "eta")
    gen = ak.with_field(gen, ak.Array([[p if i not in (11, 12) else 0.75 for i, p in enumerate(PHI)]]), "phi")
    events = ak.zip({"GenPart": gen}, depth_limit=1)
    targets = assignment_targets(events, shared, TruthConfig(tuple(res), max_dr=0.4))
    assert int(targets["t_had"]["q1"][0]) == -1 and int(targets["t_had"]["q2"][0]) == -1


def test_invisible_targets_order_and_mask():
    inv = invisible_targets(_events(), max_invisible=2)
    assert list(inv["mask"][0]) == [True, False]
    assert inv["pdgId"][0][0] == -14 and inv["pt"][0][0] == 30 and inv["eta"][0][0] == 2.0
