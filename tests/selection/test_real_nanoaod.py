"""The selections on real CMS NanoAOD files (../shared/data/nanoaod, see its README)."""

import awkward as ak
import numpy as np
import pytest
from selection_testing import SHARED_DATA, default_config, load_nanoaod

from evenet.physics.kinematics import delta_r
from evenet.selection.dimuon import CHANNEL_OS, CHANNEL_SS, REGION_SB, REGION_SR
from evenet.codes import KIND_JET, KIND_MUON
from evenet.selection.preselections import select

NANOAOD = SHARED_DATA / "nanoaod"
pytestmark = pytest.mark.skipif(not NANOAOD.is_dir(), reason=f"shared test data not found at {NANOAOD}")
CONFIG = default_config()


@pytest.fixture(scope="module")
def ttbar():
    return load_nanoaod(NANOAOD / "nano_tt_v12.root")


@pytest.fixture(scope="module")
def dimuon_data():
    return load_nanoaod(NANOAOD / "nano_dimuon.root")


def test_ttbar_pretrain_keeps_every_event_with_mostly_two_or_more_jets(ttbar):
    result = select(ttbar, "pretrain", CONFIG["pretrain"])
    n_jets = ak.sum(result.events.objects.kind == KIND_JET, axis=1)
    assert len(result.events) == len(ttbar) == 200
    assert np.mean(n_jets >= 2) > 0.9
    assert ak.all(ak.num(result.events.objects, axis=1) <= 18)
    assert result.cutflow[0]["weighted"] == pytest.approx(float(np.sum(ttbar.genWeight)), rel=1e-6)
    # source_index points back at the object it came from
    jets = result.events.objects[result.events.objects.kind == KIND_JET]
    assert ak.all(ttbar.Jet.pt[jets.source_index] == ak.values_astype(jets.pt, np.float32))


def test_ttbar_xyh_events_satisfy_their_cuts(ttbar):
    cfg = CONFIG["xyh"]
    result = select(ttbar, "xyh", cfg)
    objects = result.events.objects
    counts = [e["events"] for e in result.cutflow]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0
    assert ak.all(ak.sum(objects.isLepton, axis=1) == 1)
    jets = objects[objects.kind == KIND_JET]
    assert ak.all(ak.sum(jets.btag, axis=1) >= 2) and ak.all(ak.sum(~jets.btag, axis=1) >= 2)
    assert ak.all(jets.pt > 20.0) and ak.all(abs(jets.eta) < 2.4)
    lepton = ak.firsts(objects[objects.isLepton])
    light = jets[~jets.btag]
    nearest = ak.min(delta_r(lepton.eta, lepton.phi, light.eta, light.phi), axis=1)
    assert ak.all(nearest < 1.6)
    assert np.all(result.events.topness.to_numpy() > cfg["cuts"]["topness_min"])


def test_ttbar_2l_and_haa_events_satisfy_their_cuts(ttbar):
    result = select(ttbar, "ttbar_2l", CONFIG["ttbar_2l"])
    objects = result.events.objects
    tight = objects[objects.isLepton & (objects.pt > 25.0)]
    assert ak.all(ak.num(tight, axis=1) == 2) and ak.all(ak.prod(tight.charge, axis=1) < 0)
    assert ak.all(ak.sum(objects.btag & (objects.pt > 25.0), axis=1) >= 2)
    haa = select(ttbar, "haa", CONFIG["haa"]).events.objects
    assert ak.all(ak.sum((haa.kind == KIND_JET) & (haa.pt > 30.0), axis=1) >= 4)
    assert ak.all(ak.sum(haa.btag, axis=1) >= 3)


def test_dimuon_on_collision_data(dimuon_data):
    result = select(dimuon_data, "dimuon", CONFIG["dimuon"])
    events = result.events
    assert "GenPart" not in events.fields
    assert set(events.channel.tolist()) <= {CHANNEL_OS, CHANNEL_SS}
    assert set(events.region.tolist()) <= {REGION_SB, REGION_SR}
    assert ak.all(ak.num(events.objects, axis=1) == 2) and ak.all(events.objects.kind == KIND_MUON)
    mass = events.dimuon_mass.to_numpy()
    assert np.all((mass >= 5.0) & (mass < 16.0))
    sign = ak.prod(events.objects.charge, axis=1).to_numpy()
    assert np.array_equal(events.channel.to_numpy() == CHANNEL_SS, sign > 0)
    # every selected muon is tight in the source record
    index = np.flatnonzero(np.isin(dimuon_data.event.to_numpy(), events.event.to_numpy()))
    source = dimuon_data.Muon[index][events.objects.source_index]
    assert ak.all(source.tightId)
