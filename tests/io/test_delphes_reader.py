"""The Delphes reader on a hand-built file with Delphes' leaf names (flat layout, see docs/pointcloud.md)."""

from __future__ import annotations

import awkward as ak
import numpy as np
import uproot

from evenet.codes import STATUS_FLAG_IS_HARD_PROCESS, STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT
from evenet.io.delphes import ELECTRON_MASS, MUON_MASS
from evenet.io.reader import iterate_events


def _jagged(values, counts, dtype):
    return ak.unflatten(np.asarray(values, dtype=dtype), np.asarray(counts))


def write_delphes(path):
    # Event 0: two jets (one b-tagged with bits 0b11, one tau-tagged), one electron, one muon.
    # Event 1: one jet (b bit 1 only: not the working point of bit 0), nothing else.
    # Particle record of event 0: t(22) -> t(62 copy) -> b(23), W(22) -> e(1), nu(1); a B hadron (decayed,
    # status 2) under the b, and a neutrino from its decay.
    branches = {
        "Event.Number": _jagged([11, 12], [1, 1], np.int64),  # Delphes' Event is a one-entry collection
        "Event.Weight": _jagged([2.0, 0.5], [1, 1], np.float32),
        "Jet.PT": _jagged([50.0, 30.0, 40.0], [2, 1], np.float32),
        "Jet.Eta": _jagged([0.1, -1.0, 2.0], [2, 1], np.float32),
        "Jet.Phi": _jagged([0.5, 2.0, -1.0], [2, 1], np.float32),
        "Jet.Mass": _jagged([8.0, 1.7, 5.0], [2, 1], np.float32),
        "Jet.BTag": _jagged([3, 0, 2], [2, 1], np.int32),
        "Jet.TauTag": _jagged([0, 1, 0], [2, 1], np.int32),
        "Jet.Charge": _jagged([0, -1, 0], [2, 1], np.int32),
        "Jet.Flavor": _jagged([5, 15, 4], [2, 1], np.int32),
        "Electron.PT": _jagged([25.0], [1, 0], np.float32),
        "Electron.Eta": _jagged([0.3], [1, 0], np.float32),
        "Electron.Phi": _jagged([1.0], [1, 0], np.float32),
        "Electron.Charge": _jagged([1], [1, 0], np.int32),
        "Muon.PT": _jagged([15.0], [1, 0], np.float32),
        "Muon.Eta": _jagged([-0.3], [1, 0], np.float32),
        "Muon.Phi": _jagged([-1.0], [1, 0], np.float32),
        "Muon.Charge": _jagged([-1], [1, 0], np.int32),
        "Muon.D0": _jagged([0.5], [1, 0], np.float32),  # mm
        "Muon.DZ": _jagged([-2.0], [1, 0], np.float32),
        "Muon.IsolationVar": _jagged([0.7], [1, 0], np.float32),
        "Photon.PT": _jagged([], [0, 0], np.float32),
        "Photon.Eta": _jagged([], [0, 0], np.float32),
        "Photon.Phi": _jagged([], [0, 0], np.float32),
        "Photon.E": _jagged([], [0, 0], np.float32),
        "MissingET.MET": _jagged([20.0, 5.0], [1, 1], np.float32),
        "MissingET.Phi": _jagged([0.2, -0.2], [1, 1], np.float32),
        "Particle.PID": _jagged([6, 6, 5, 24, -11, 12, 521, 14], [8, 0], np.int32),
        "Particle.Status": _jagged([22, 62, 23, 22, 1, 1, 2, 1], [8, 0], np.int32),
        "Particle.M1": _jagged([-1, 0, 1, 1, 3, 3, 2, 6], [8, 0], np.int32),
        **{f"Particle.{k}": _jagged(np.ones(8), [8, 0], np.float32) for k in ("PT", "Eta", "Phi", "Mass")},
    }
    with uproot.recreate(path) as f:
        tree = f.mktree("Delphes", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in branches.items()})
        tree.extend(branches)


def test_delphes_record(tmp_path):
    path = tmp_path / "delphes.root"
    write_delphes(path)
    (events,) = list(iterate_events(path, "delphes"))
    assert ak.to_list(events.event) == [11, 12]
    assert ak.to_list(events.genWeight) == [2.0, 0.5]
    # The tau-tagged jet moved to Tau; BTag bit 0 is the working point.
    assert ak.to_list(events.Jet.pt) == [[50.0], [40.0]]
    assert ak.to_list(events.Jet.btag) == [[1.0], [0.0]]
    assert ak.to_list(events.Tau.pt) == [[30.0], []] and ak.to_list(events.Tau.charge) == [[-1], []]
    assert np.isclose(events.Electron.mass[0][0], ELECTRON_MASS) and np.isclose(events.Muon.mass[0][0], MUON_MASS)
    assert ak.all(events.Muon.tightId) and ak.all(events.Muon.softId)
    # impact parameters in cm as in NanoAOD (Delphes stores mm), isolation as it is
    assert np.allclose(ak.to_numpy(ak.flatten(events.Muon.dxy)), [0.05]) and np.allclose(ak.to_numpy(ak.flatten(events.Muon.dz)), [-0.2])
    assert np.allclose(ak.to_numpy(ak.flatten(events.Muon.pfRelIso04_all)), [0.7])
    assert np.allclose(ak.to_numpy(events.MET.pt), [20.0, 5.0])


def test_delphes_derived_status_flags(tmp_path):
    path = tmp_path / "delphes.root"
    write_delphes(path)
    (events,) = list(iterate_events(path, "delphes"))
    flags = np.asarray(events.GenPart.statusFlags[0])
    last = (flags >> STATUS_FLAG_IS_LAST_COPY) & 1
    hard = (flags >> STATUS_FLAG_IS_HARD_PROCESS) & 1
    prompt = (flags >> STATUS_FLAG_IS_PROMPT) & 1
    assert list(last) == [0, 1, 1, 1, 1, 1, 1, 1]  # only the first top has a copy below it
    # hard process: status 21-29, and the W's decay products (a status-22 resonance that did not radiate)
    assert list(hard) == [1, 0, 1, 1, 1, 1, 0, 0]
    # CMS isPrompt: the B from hadronisation is prompt, the neutrino of its decay is not
    assert list(prompt) == [1, 1, 1, 1, 1, 1, 1, 0]


def test_delphes_generator_weight_sum(tmp_path):
    from evenet.io.reader import sum_generator_weights

    path = tmp_path / "delphes.root"
    write_delphes(path)
    assert sum_generator_weights(path, "delphes") == (2.5, 2)


# W- -> tau- nu_tau~, tau- (copied, then decayed: status 2) -> mu- nu_mu~ nu_tau; one event.
TAU_EVENT = {
    "pdgId": [-24, 15, 15, -16, 13, -14, 16],
    "status": [22, 23, 2, 1, 1, 1, 1],
    "mother": [-1, 0, 1, 0, 2, 2, 2],
}
# statusFlags CMS writes for it (isPrompt bit 0, isLastCopy bit 13): the tau's decay products are not prompt
TAU_EVENT_CMS_FLAGS = [1 | 1 << 13, 1, 1 | 1 << 13, 1 | 1 << 13, 1 << 13, 1 << 13, 1 << 13]


def _write_generator_record(path, fmt):
    n = len(TAU_EVENT["pdgId"])
    kin = {"pt": np.linspace(50.0, 10.0, n), "eta": np.zeros(n), "phi": np.linspace(-1.0, 1.0, n), "mass": np.zeros(n)}
    if fmt == "nanoaod":
        fields = {**{k: (v, np.float32) for k, v in kin.items()}, "pdgId": (TAU_EVENT["pdgId"], np.int32),
                  "status": (TAU_EVENT["status"], np.int32), "genPartIdxMother": (TAU_EVENT["mother"], np.int32),
                  "statusFlags": (TAU_EVENT_CMS_FLAGS, np.int32)}
        tree, branches = "Events", {"GenPart": ak.zip({k: _jagged(v, [n], t) for k, (v, t) in fields.items()})}
        counter, name = (lambda c: f"n{c}"), (lambda o, i: f"{o}_{i}")
    else:
        names = {"pt": "PT", "eta": "Eta", "phi": "Phi", "mass": "Mass"}
        fields = {**{names[k]: (v, np.float32) for k, v in kin.items()}, "PID": (TAU_EVENT["pdgId"], np.int32),
                  "Status": (TAU_EVENT["status"], np.int32), "M1": (TAU_EVENT["mother"], np.int32)}
        tree, branches = "Delphes", {"Particle": ak.zip({k: _jagged(v, [n], t) for k, (v, t) in fields.items()})}
        counter, name = (lambda c: f"{c}_size"), (lambda o, i: f"{o}.{i}")
    with uproot.recreate(path) as f:
        f.mktree(tree, branches, counter_name=counter, field_name=name)


def test_tau_decay_neutrinos_are_not_targets_in_either_format(tmp_path):
    """Delphes' Particle gets the flags CMS writes into NanoAOD, so both give the same neutrino targets:
    only the W's neutrino, not the two from the tau decay."""
    from evenet.io.needs import RecordNeeds
    from evenet.truth.targets import invisible_targets

    targets = {}
    for fmt in ("nanoaod", "delphes"):
        path = tmp_path / f"{fmt}.root"
        _write_generator_record(path, fmt)
        (events,) = list(iterate_events(path, fmt, needs=RecordNeeds(frozenset({"GenPart"}))))
        prompt_and_last = (1 << STATUS_FLAG_IS_PROMPT) | (1 << STATUS_FLAG_IS_LAST_COPY)
        assert (events.GenPart.statusFlags & prompt_and_last).tolist() == [TAU_EVENT_CMS_FLAGS]
        targets[fmt] = invisible_targets(events, 3)
    for fmt, found in targets.items():
        assert found["pdgId"].tolist() == [[-16, 0, 0]] and found["mask"].tolist() == [[True, False, False]], fmt
