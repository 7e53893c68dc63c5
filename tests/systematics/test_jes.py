"""JES: +1 % scales jet pT by exactly 1.01, MET moves by minus the jets' vector change, and an
event whose jet falls below the threshold after the shift leaves the selection."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from evenet.codes import KIND_JET
from evenet.systematics.config import JESVariation, parse_variation
from evenet.systematics.jes import corrected_met, event_deltas, scale_jets
from evenet.systematics.pseudo_experiments import vary_chunk
from evenet.systematics.reselect import reselect
from evenet.pointcloud.features import FlatObjects
from evenet.errors import ConfigError

from systematics_testing import haa_event, jet, lepton, selected_chunk, selection_block


def _vary_by(chunk, delta, selection="haa"):
    flat = FlatObjects.from_jagged(chunk.objects)
    c = dict(flat.columns)
    pt, energy = scale_jets(c["pt"], c["energy"], c["kind"], np.full(len(c["pt"]), delta))
    met_pt, met_phi = corrected_met(ak.to_numpy(chunk.MET.pt), ak.to_numpy(chunk.MET.phi), flat.event, c["phi"],
                                    c["pt"], pt)
    c["pt"], c["energy"] = pt, energy
    return reselect(chunk, c, met_pt, met_phi, selection, selection_block(selection)), (met_pt, met_phi)


def test_plus_one_percent_scales_jet_pt_by_exactly_1_01_and_leaves_leptons():
    pt = np.array([100.0, 37.3, 25.0])
    energy = np.array([120.0, 40.0, 25.0])
    kind = np.array([KIND_JET, KIND_JET, 2])
    new_pt, new_energy = scale_jets(pt, energy, kind, np.full(3, 0.01))
    assert np.array_equal(new_pt[:2], pt[:2] * 1.01) and np.array_equal(new_energy[:2], energy[:2] * 1.01)
    assert new_pt[2] == 25.0 and new_energy[2] == 25.0


def test_met_moves_by_minus_the_jets_vector_change():
    chunk = selected_chunk([{"objects": [jet(100.0, 0.0, 0.0), jet(50.0, 0.0, np.pi / 2), lepton(30.0, 0.0, 1.0)],
                             "MET": (40.0, np.pi)}])
    flat = FlatObjects.from_jagged(chunk.objects)
    c = flat.columns
    new_pt, _ = scale_jets(c["pt"], c["energy"], c["kind"], np.full(3, 0.01))
    met_pt, met_phi = corrected_met(np.array([40.0]), np.array([np.pi]), flat.event, c["phi"], c["pt"], new_pt)
    # jets change by (+1.0, +0.5) GeV in (x, y): MET (-40, 0) -> (-41, -0.5)
    assert met_pt[0] * np.cos(met_phi[0]) == pytest.approx(-41.0, abs=1e-9)
    assert met_pt[0] * np.sin(met_phi[0]) == pytest.approx(-0.5, abs=1e-9)


def test_event_with_jet_falling_below_threshold_leaves_the_selection():
    # the softest of the four jets sits at 30.2 GeV, just above the haa jet cut of 30 GeV
    chunk = selected_chunk([haa_event(30.2), haa_event(45.0)])
    down, _ = _vary_by(chunk, -0.01)
    assert ak.to_list(down.event) == [2]  # the first event leaves
    up, _ = _vary_by(chunk, +0.01)
    assert ak.to_list(up.event) == [1, 2]
    np.testing.assert_array_equal(ak.to_numpy(up.objects.pt[0]), np.array([120.0, 80.0, 60.0, 30.2]) * 1.01)


def test_jet_below_object_threshold_leaves_the_event_and_targets_follow():
    # ttbar_2l objects: jets pT > 20. The 20.1 GeV light jet falls out at -1 %; the b targets follow.
    objects = [lepton(40.0, 0.0, 0.0, -1), lepton(35.0, 0.5, 2.0, +1), jet(70.0, 0.1, 1.0), jet(50.0, -0.2, -2.0),
               jet(20.1, 1.5, 2.5, btag=False), jet(25.0, -1.0, -0.5, btag=False)]
    chunk = selected_chunk([{"objects": objects, "MET": (30.0, 0.0)}], targets={"t": {"b": [3]}, "tbar": {"b": [2]}})
    down, _ = _vary_by(chunk, -0.01, "ttbar_2l")
    assert len(down) == 1
    assert ak.to_list(down.objects.pt[0])[-1] == pytest.approx(25.0 * 0.99)
    assert len(down.objects[0]) == 5
    assert down.targets.t.b[0] == 3 and down.targets.tbar.b[0] == 2
    np.testing.assert_allclose(ak.to_numpy(down.objects.pt[0][[2, 3]]), [70.0 * 0.99, 50.0 * 0.99])


def test_globals_follow_the_shift():
    from evenet.pipeline.build import chunk_datasets
    from evenet.pointcloud.schema import GLOBAL_FEATURES, GLOBALS

    chunk = selected_chunk([haa_event(45.0)])
    up, _ = _vary_by(chunk, 0.05)
    nominal, varied = chunk_datasets(chunk)[f"{GLOBALS}/data"][0], chunk_datasets(up)[f"{GLOBALS}/data"][0]
    ht = GLOBAL_FEATURES.index("HT")
    mass = GLOBAL_FEATURES.index("M_all")
    assert varied[ht] == pytest.approx(nominal[ht] * 1.05, rel=1e-6)
    assert varied[mass] == pytest.approx(nominal[mass] * 1.05, rel=1e-5)


def test_one_delta_per_experiment_or_per_event_and_clipping():
    run, lumi, event = np.ones(1000, np.uint64), np.ones(1000, np.uint64), np.arange(1000, dtype=np.uint64)
    per_experiment = event_deltas(JESVariation(0.01, 0.1, "experiment", "propagate"), 5, run, lumi, event)
    assert len(set(per_experiment)) == 1
    per_event = event_deltas(JESVariation(0.01, 0.1, "event", "propagate"), 5, run, lumi, event)
    assert per_event.std() == pytest.approx(0.01, rel=0.1)
    wide = event_deltas(JESVariation(1.0, 0.1, "event", "propagate"), 5, run, lumi, event)
    assert np.abs(wide).max() == 0.1


def test_met_none_leaves_met():
    chunk = selected_chunk([haa_event(45.0)])
    varied, _ = vary_chunk(chunk, JESVariation(0.05, 0.1, "experiment", "none"), 3, "haa", selection_block("haa"))
    assert varied.MET.pt[0] == chunk.MET.pt[0] and varied.MET.phi[0] == chunk.MET.phi[0]


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"systematics.jes.draw"):
        parse_variation("jes", {"width": 0.01, "clip": 0.1, "draw": "sometimes", "met": "propagate"})
    with pytest.raises(ConfigError, match=r"systematics.jes.widht"):
        parse_variation("jes", {"widht": 0.01})
