"""The read-out of D on systematic pseudo-experiments (analyses.ttbar_qe.systematics) on
hand-built files: on-shell t tbar events (tests/ttbar_qe/ttbar_events.py) written as the
generated ROOT file, the point clouds and the predictions of two models, laid out as
``evenet vary`` batches (nominal; jes_000 with a zero shift; jes_001 with the b jets 5 %
up). Known answers: the nominal unfolds to the sample's parton-level D exactly (response
and data are the same events, whatever the model's reconstruction), a zero shift gives the
nominal's numbers exactly, the shifted experiment gives what the reconstruction and
unfolding of the shifted events give in memory, and Delta D = sigma_D / (D - 1) with
sigma_D at the luminosity of --xsec-pb.
"""

import dataclasses
import json
import shutil

import awkward as ak
import h5py
import numpy as np
import pytest
import uproot

from analyses.ttbar_qe import systematics
from analyses.ttbar_qe.events import PointCloudEvents
from analyses.ttbar_qe.measure import load_config, measure, place, setup_from
from analyses.ttbar_qe.reconstruct import network_reconstruction
from evenet.physics.spin import lepton_cosines, mass, products
from evenet.systematics.summary import collect, merge_readout, read_records
from ttbar_events import make_events

N_EVENTS = 120
THRESHOLD = 650.0            # m_tt edge of the threshold bin: about half of the hand-built events
SAMPLE = "ttbar_qe_data"
JES_UP = 1.05
XSEC_PB = 2.0
PROG = "python -m analyses.ttbar_qe.systematics"


def _config(path, reweighting: int):
    path.write_text(f"""mtt_edges: [0.0, {THRESHOLD}, .inf]
threshold_bin: 0
unfolding: {{z_bins: 4, iterations: 3, prior: response, reweighting_iterations: {reweighting}}}
uncertainty: {{luminosity_fb: 140.0, replicas: 30, seed: 5}}
network: {{neutrino_samples: 2, steps: 1}}
""")
    return path


def _ptetaphim(p4):
    pt = np.hypot(p4[:, 1], p4[:, 2])
    m2 = p4[:, 0] ** 2 - (p4[:, 1:] ** 2).sum(axis=1)
    return pt, np.arcsinh(p4[:, 3] / pt), np.arctan2(p4[:, 2], p4[:, 1]), np.sqrt(np.maximum(m2, 0.0))


def _write_generated(path, truth):
    """NanoAOD-like GenPart: two incoming gluons (status -21; gluon fusion, the LO SM spin
    state of --response-model sm), t, tbar, l+ (mu+), l- (e-)."""
    n = len(truth.event)
    beam = np.tile([[100.0, 0.1, 0.0, 100.0]], (n, 1))
    rows = [(21, -21, beam), (21, -21, beam), (6, 62, truth.top), (-6, 62, truth.antitop),
            (-13, 1, truth.lep_plus), (11, 1, truth.lep_minus)]
    columns = {k: np.empty((n, len(rows))) for k in ("pt", "eta", "phi", "mass")}
    pdg, status = np.empty((n, len(rows)), np.int32), np.empty((n, len(rows)), np.int32)
    for j, (code, st, p4) in enumerate(rows):
        for key, value in zip(("pt", "eta", "phi", "mass"), _ptetaphim(p4)):
            columns[key][:, j] = value
        pdg[:, j], status[:, j] = code, st
    counts = np.full(n, len(rows))
    gen = ak.zip({**{k: ak.unflatten(v.ravel(), counts) for k, v in columns.items()},
                  "pdgId": ak.unflatten(pdg.ravel(), counts), "status": ak.unflatten(status.ravel(), counts)})
    branches = {"event": truth.event.astype(np.uint64), "GenPart": gen}
    with uproot.recreate(path) as f:
        tree = f.mktree("Events", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in branches.items()})
        tree.extend(branches)
    return path


def _features(p3):
    """(E, pt, eta, phi) of massless momenta (N, 3)."""
    pt = np.hypot(p3[:, 0], p3[:, 1])
    return np.stack([np.linalg.norm(p3, axis=1), pt, np.arcsinh(p3[:, 2] / pt), np.arctan2(p3[:, 1], p3[:, 0])], axis=1)


def _write_pointcloud(path, events: PointCloudEvents):
    path.parent.mkdir(parents=True, exist_ok=True)
    invisible = np.stack([_features(events.nu), _features(events.nubar)], axis=1)
    met_pt, met_phi = np.hypot(events.met[:, 0], events.met[:, 1]), np.arctan2(events.met[:, 1], events.met[:, 0])
    with h5py.File(path, "w") as h:
        h["META/event"] = events.event
        h["INPUTS/Source/data"] = events.objects
        h["INPUTS/Source/mask"] = events.mask
        h["INPUTS/Invisible/data"] = invisible
        h["INPUTS/Invisible/pdgId"] = np.tile([12, -12], (len(events), 1))
        h["INPUTS/Invisible/mask"] = np.ones((len(events), 2), bool)
        h["INPUTS/Conditions/data"] = np.stack([met_pt, met_phi], axis=1)
        for key, slots in events.targets.items():
            h[f"TARGETS/{key}"] = slots
    return path


def _write_predictions(path, pointcloud_name, events, assignment, samples):
    """`evenet predict --split all` layout: the events of one point-cloud file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as h:
        h.attrs["files"] = [pointcloud_name]
        h["META/file"] = np.zeros(len(events), np.int64)
        h["META/event"] = events.event
        for r in ("t", "tbar"):
            h[f"assignment/{r}"] = assignment[r]
        h["neutrino_generation/samples"] = samples
    return path


def _models(events):
    """Per model (assignment, (N, K, 2, 4) neutrino samples): "full" is exact; "scratch" pairs
    every third event wrongly and smears its two neutrino samples."""
    n = len(events)
    lp, lm = np.zeros(n, int), np.ones(n, int)
    exact = np.stack([_features(events.nu), _features(events.nubar)], axis=1)
    full = ({"t": np.stack([events.targets["t/b"], lp], 1), "tbar": np.stack([events.targets["tbar/b"], lm], 1)},
            np.repeat(exact[:, None], 2, axis=1))
    wrong = np.arange(n) % 3 == 0
    b_t = np.where(wrong, events.targets["tbar/b"], events.targets["t/b"])
    b_tbar = np.where(wrong, events.targets["t/b"], events.targets["tbar/b"])
    rng = np.random.default_rng(7)
    smeared = [np.stack([_features(events.nu + rng.normal(0, 15, (n, 3))),
                         _features(events.nubar + rng.normal(0, 15, (n, 3)))], axis=1) for _ in range(2)]
    scratch = ({"t": np.stack([b_t, lp], 1), "tbar": np.stack([b_tbar, lm], 1)}, np.stack(smeared, axis=1))
    return {"full": full, "scratch": scratch}


def _jes(events, factor):
    """b jets (btag, not a lepton) scaled in energy and pt, directions kept; leptons untouched."""
    objects = events.objects.copy()
    jets = (objects[..., 4] > 0.5) & (objects[..., 5] < 0.5) & events.mask
    objects[jets, 0] *= factor
    objects[jets, 1] *= factor
    return PointCloudEvents(events.event, objects, events.mask, events.targets, events.nu, events.nubar, events.met)


def _record(label, index, models):
    return {"label": label, "index": index, "seed": 1, "nuisance": {"value": 0.0},
            "events": {SAMPLE: {"events_in": N_EVENTS, "events_out": N_EVENTS}},
            "metrics": {m: {} for m in models}, "seconds": {"vary": 0.1, "evaluate": 0.1, "cpu": 0.2}}


def _write_batch(directory, source, experiments, models):
    """experiments: {label: point-cloud events}; each model's predictions are the nominal ones."""
    records = []
    for index, (label, events) in enumerate(experiments.items()):
        pointcloud = _write_pointcloud(directory / label / "pointcloud" / f"{SAMPLE}.h5", events)
        for model, (assignment, samples) in models.items():
            _write_predictions(directory / label / "predictions" / f"{model}.h5", pointcloud.name, events, assignment,
                               samples)
        records.append(_record(label, index, models))
    document = {"source": source, "seed": 1, "selection": "ttbar_2l", "split": None,
                "models": {m: f"{m}.ckpt" for m in models}, "samples": [SAMPLE], "experiments": records}
    (directory / "experiments.json").write_text(json.dumps(document))
    return directory


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ttqe_syst")
    truth, events = make_events(N_EVENTS, 11)
    truth = dataclasses.replace(truth, gluon_fusion=np.ones(N_EVENTS, bool))   # as written: g g -> t tbar
    models = _models(events)
    generated = _write_generated(root / "generated.root", truth)
    response = _write_pointcloud(root / "response.h5", events)
    nominal_predictions = {m: _write_predictions(root / "predictions" / f"{m}.h5", response.name, events, *p)
                           for m, p in models.items()}
    nominal = _write_batch(root / "nominal", "nominal", {"nominal": events}, models)
    jes = _write_batch(root / "jes_b0", "jes", {"jes_000": _jes(events, 1.0), "jes_001": _jes(events, JES_UP)}, models)
    return {"root": root, "truth": truth, "events": events, "models": models, "generated": generated,
            "response": response, "predictions": nominal_predictions, "nominal": nominal, "jes": jes}


def _argv(files, config, output, xsec=XSEC_PB, batches=None, predictions=None, generated=None):
    predictions = predictions or [f"{m}={p}" for m, p in files["predictions"].items()]
    return ["--config", str(config), "--response-generated", str(generated or files["generated"]),
            "--response-pointcloud", str(files["response"]), "--data-generated", str(generated or files["generated"]),
            "--response-model", "sm", "--xsec-pb", str(xsec), "--nominal-predictions", *predictions,
            "--batches", *[str(b) for b in (batches or [files["nominal"], files["jes"]])], "--output", str(output)]


@pytest.fixture(scope="module")
def readout(files):
    """The read-out without spin reweighting (exact self-closure), at --xsec-pb 2 and 8."""
    config = _config(files["root"] / "plain.yaml", reweighting=0)
    out = {}
    for xsec in (XSEC_PB, 4 * XSEC_PB):
        path = files["root"] / f"readout_{xsec:g}.json"
        assert systematics.main(_argv(files, config, path, xsec=xsec)) == 0
        out[xsec] = json.loads(path.read_text())
    return out


def _parton_d(truth):
    """D = |C_kk + C_rr| - C_nn, C = -9 <cos_i+ cos_j-> of the generated events in the threshold bin."""
    z = products(*lepton_cosines(truth.top, truth.antitop, truth.lep_plus, truth.lep_minus))
    c = -9.0 * z[mass(truth.top + truth.antitop) < THRESHOLD].mean(axis=0).reshape(3, 3)
    return abs(c[0, 0] + c[1, 1]) - c[2, 2]


def test_readout_has_every_experiment_and_model(readout):
    got = readout[XSEC_PB]
    assert set(got) == {"nominal", "jes_000", "jes_001"}
    for models in got.values():
        assert set(models) == {"full", "scratch"}
        for numbers in models.values():
            assert set(numbers) == {"delta_d", "D"} and numbers["delta_d"]["error"] is None


@pytest.mark.parametrize("model", ["full", "scratch"])
def test_nominal_unfolds_to_the_parton_level_d(files, readout, model):
    """Response and data are the same events with the same predictions: the unfolding closes
    exactly on the parton-level D, also for the model that pairs a third of the events wrongly."""
    truth = files["truth"]
    assert (mass(truth.top + truth.antitop) < THRESHOLD).sum() > 20
    nominal = readout[XSEC_PB]["nominal"][model]
    assert nominal["D"]["value"] == pytest.approx(_parton_d(truth), abs=1e-9)


@pytest.mark.parametrize("model", ["full", "scratch"])
def test_delta_d_is_sigma_over_d_minus_one_at_the_luminosity(readout, model):
    for label in ("nominal", "jes_001"):
        d = readout[XSEC_PB][label][model]["D"]
        assert d["error"] > 0
        assert readout[XSEC_PB][label][model]["delta_d"]["value"] == pytest.approx(d["error"] / (d["value"] - 1.0),
                                                                                   rel=1e-12)
        # four times the cross section: four times the expected events, half the statistical error, same D
        d4 = readout[4 * XSEC_PB][label][model]["D"]
        assert d4["value"] == d["value"]
        assert d4["error"] == pytest.approx(d["error"] / 2.0, rel=1e-12)


def test_zero_shift_reproduces_the_nominal_exactly(readout):
    got = readout[XSEC_PB]
    assert got["jes_000"] == got["nominal"]


@pytest.mark.parametrize("model", ["full", "scratch"])
def test_shifted_experiment_is_the_shifted_events_unfolded_with_the_nominal_response(files, model, tmp_path):
    """b jets 5 % up, with spin reweighting of the response (--response-model sm): the read-out
    equals the in-memory reconstruction of the shifted events unfolded with this model's
    nominal response, and differs from the nominal."""
    config_path = _config(tmp_path / "reweighted.yaml", reweighting=1)
    output = tmp_path / "readout.json"
    assert systematics.main(_argv(files, config_path, output)) == 0
    got = json.loads(output.read_text())

    config = load_config(config_path)
    truth, events = files["truth"], files["events"]
    assignment, samples = files["models"][model]
    response = place(truth, events, network_reconstruction(events, assignment, samples), "sm")
    expected = {}
    for label, factor in (("nominal", 1.0), ("jes_001", JES_UP)):
        shifted = _jes(events, factor)
        data = place(truth, shifted, network_reconstruction(shifted, assignment, samples))
        expected[label] = measure(setup_from(config), config, response, data, XSEC_PB)["numbers"]
    for label in ("nominal", "jes_001"):
        assert got[label][model]["D"]["value"] == pytest.approx(expected[label]["D"].value, rel=1e-9)
        assert got[label][model]["D"]["error"] == pytest.approx(expected[label]["D"].error, rel=1e-9)
        assert got[label][model]["delta_d"]["value"] == pytest.approx(expected[label]["Delta_D"].value, rel=1e-9)
    shift = got["jes_001"][model]["D"]["value"] - got["nominal"][model]["D"]["value"]
    assert abs(shift) > 1e-4


def test_summary_shifts_from_the_readout(files, readout):
    """evenet syst-summary's merge of the read-out: Delta D shifts are x - nominal (absolute),
    D shifts (x - nominal) / sigma_D(nominal)."""
    path = files["root"] / f"readout_{XSEC_PB:g}.json"
    nominal, batch = read_records(files["nominal"]), read_records(files["jes"])
    merge_readout([nominal, batch], path)
    (jes,) = collect(nominal, [batch], absolute=["delta_d"])
    got = readout[XSEC_PB]
    for model in ("full", "scratch"):
        nom = got["nominal"][model]
        expected_dd = [got[label][model]["delta_d"]["value"] - nom["delta_d"]["value"] for label in ("jes_000", "jes_001")]
        expected_d = [(got[label][model]["D"]["value"] - nom["D"]["value"]) / nom["D"]["error"]
                      for label in ("jes_000", "jes_001")]
        np.testing.assert_allclose(jes.shifts[model]["delta_d"], expected_dd, rtol=1e-12)
        np.testing.assert_allclose(jes.shifts[model]["D"], expected_d, rtol=1e-12)
        assert jes.shifts[model]["D"][0] == 0.0 and jes.shifts[model]["D"][1] != 0.0


def _bad(files, tmp_path, capsys, argv, *fragments):
    """One line `<prog>: error: ...` naming every fragment, exit status 2, no output written."""
    output = tmp_path / "out" / "readout.json"
    assert systematics.main(argv(output)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{PROG}: error: "), lines
    for fragment in fragments:
        assert fragment in lines[0]
    assert not output.exists()


def test_bad_nominal_predictions_item(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    _bad(files, tmp_path, capsys,
         lambda out: _argv(files, config, out, predictions=[str(files["predictions"]["full"])]),
         "--nominal-predictions", "MODEL=PREDICTIONS", "full.h5")


def test_batch_model_without_nominal_predictions(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    _bad(files, tmp_path, capsys,
         lambda out: _argv(files, config, out, predictions=[f"full={files['predictions']['full']}"]),
         "'scratch'", str(files["nominal"]))


def test_batch_without_experiments_file(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    empty = tmp_path / "jes_b1"
    empty.mkdir()
    _bad(files, tmp_path, capsys, lambda out: _argv(files, config, out, batches=[files["nominal"], empty]),
         str(empty / "experiments.json"))


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d.update(samples=[SAMPLE, "ttbar_qe_response"]), "expected the data sample alone"),
    (lambda d: d.pop("models"), "'models'"),
    (lambda d: d.pop("samples"), "'samples'"),
])
def test_batch_document_not_of_the_data_sample_alone(files, tmp_path, capsys, edit, fragment):
    config = _config(tmp_path / "c.yaml", 0)
    batch = tmp_path / "jes_b0"
    shutil.copytree(files["jes"], batch)
    document = json.loads((batch / "experiments.json").read_text())
    edit(document)
    (batch / "experiments.json").write_text(json.dumps(document))
    _bad(files, tmp_path, capsys, lambda out: _argv(files, config, out, batches=[files["nominal"], batch]),
         str(batch), fragment)


def test_experiment_label_in_two_batches(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    again = tmp_path / "jes_b1"
    shutil.copytree(files["jes"], again)
    _bad(files, tmp_path, capsys, lambda out: _argv(files, config, out, batches=[files["nominal"], files["jes"], again]),
         "'jes_000'", str(files["jes"]), str(again))


def test_experiment_without_its_predictions(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    batch = tmp_path / "jes_b0"
    shutil.copytree(files["jes"], batch)
    missing = batch / "jes_001" / "predictions" / "scratch.h5"
    missing.unlink()
    _bad(files, tmp_path, capsys, lambda out: _argv(files, config, out, batches=[files["nominal"], batch]),
         str(missing))


def test_generated_file_that_is_not_root(files, tmp_path, capsys):
    config = _config(tmp_path / "c.yaml", 0)
    fake = tmp_path / "generated.root"
    fake.write_text("not a ROOT file\n")
    _bad(files, tmp_path, capsys, lambda out: _argv(files, config, out, generated=fake), str(fake))
