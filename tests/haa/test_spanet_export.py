"""`evenet export spanet`: our point-cloud files -> SPANet's format, read back by SPANet itself."""

from __future__ import annotations

import subprocess

import h5py
import numpy as np
import pytest
import yaml

from evenet.cli import main as evenet
from evenet.pointcloud import schema as S
from evenet.train.dataset import index_blocks

from haa_testing import NO_SPANET, SPANET_PYTHON

# Reads the export with SPANet's own dataset class; prints nothing, writes an npz.
SPANET_READER = """
import sys, numpy as np
from spanet.dataset.jet_reconstruction_dataset import JetReconstructionDataset
d = JetReconstructionDataset(sys.argv[1], sys.argv[2], limit_index=1.0, partial_events=True)
out = {"source_data": d.sources["Source"].source_data.numpy(), "source_mask": d.sources["Source"].source_mask.numpy(),
       "globals": d.sources["Conditions"].source_data.numpy()[:, 0],
       "process": d.classifications["EVENT/process"].numpy()}
for name, (targets, mask) in d.assignments.items():
    out[f"targets_{name}"], out[f"mask_{name}"] = targets.numpy(), mask.numpy()
np.savez(sys.argv[3], **out)
"""


def _ours(files, split, fraction=1.0, seed=0) -> dict:
    """Our arrays of the events `evenet train` reads for (split, fraction, seed), in file order."""
    blocks = index_blocks(files, split, 10**9, fraction, seed)
    parts = []
    for i, path in enumerate(files):
        rows = np.concatenate([b.rows for b in blocks if b.file == i])
        with h5py.File(path, "r") as h:
            part = {"source": h[f"{S.SOURCE}/data"][:][rows], "mask": h[f"{S.SOURCE}/mask"][:][rows],
                    "globals": h[f"{S.GLOBALS}/data"][:][rows], "process": h[S.CLASSIFICATION][:][rows],
                    "event": h[f"{S.META}/event"][:][rows]}
            for res in ("a1", "a2"):
                part[res] = np.stack([h[f"{S.TARGETS}/{res}/{p}"][:][rows] for p in ("b1", "b2")], 1)
        parts.append(part)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@pytest.fixture(scope="module")
def export(haa_stream, tmp_path_factory):
    out = tmp_path_factory.mktemp("spanet")
    assert evenet(["export", "spanet", *map(str, haa_stream), "-o", str(out / "train.h5"), "--event-info",
                   str(out / "event.yaml"), "--split", "train", "--fraction", "0.5", "--subset-seed", "3"]) == 0
    return out / "train.h5", out / "event.yaml"


def test_export_holds_the_training_subset_in_spanet_layout(haa_stream, export):
    h5, _ = export
    ours = _ours(haa_stream, "train", 0.5, 3)
    with h5py.File(h5, "r") as h:
        assert h["INPUTS/Source/MASK"].dtype == bool
        np.testing.assert_array_equal(h["INPUTS/Source/MASK"][:], ours["mask"])
        for k, name in enumerate(S.SOURCE_FEATURES):
            np.testing.assert_array_equal(h[f"INPUTS/Source/{name}"][:], ours["source"][:, :, k])
        for k, name in enumerate(S.GLOBAL_FEATURES):
            np.testing.assert_array_equal(h[f"INPUTS/Conditions/{name}"][:], ours["globals"][:, k])
        for res in ("a1", "a2"):
            np.testing.assert_array_equal(np.stack([h[f"TARGETS/{res}/{p}"][:] for p in ("b1", "b2")], 1), ours[res])
        np.testing.assert_array_equal(h["CLASSIFICATIONS/EVENT/process"][:], ours["process"])
        np.testing.assert_array_equal(h["META/event"][:], ours["event"])
        assert 100 < h.attrs["n_events"] < 400  # about half of the 480 training events


def test_event_info_states_the_symmetries_of_the_topology(export):
    info = yaml.safe_load(export[1].read_text())
    assert info["EVENT"] == {"a1": ["b1", "b2"], "a2": ["b1", "b2"]}
    assert info["PERMUTATIONS"] == {"EVENT": [["a1", "a2"]], "a1": [["b1", "b2"]], "a2": [["b1", "b2"]]}
    assert info["INPUTS"]["SEQUENTIAL"]["Source"]["pt"] == "log_normalize"
    assert info["INPUTS"]["SEQUENTIAL"]["Source"]["btag"] == "none"
    assert list(info["INPUTS"]["GLOBAL"]["Conditions"]) == list(S.GLOBAL_FEATURES)
    assert info["CLASSIFICATIONS"] == {"EVENT": ["process"]}


def test_file_without_topology_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "bare.h5"
    with h5py.File(path, "w") as h:
        h.create_dataset(f"{S.META}/split", data=np.zeros(3, np.uint8))
    assert evenet(["export", "spanet", str(path), "-o", str(tmp_path / "out.h5")]) == 2
    assert "no 'topology' attribute" in capsys.readouterr().err
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.skipif(not SPANET_PYTHON.exists(), reason=NO_SPANET)
def test_spanet_dataset_class_reads_back_our_targets_and_masks(haa_stream, export, tmp_path):
    h5, event_info = export
    script = tmp_path / "read.py"
    script.write_text(SPANET_READER)
    subprocess.run([str(SPANET_PYTHON), str(script), str(h5), str(event_info), str(tmp_path / "back.npz")],
                   check=True, capture_output=True, timeout=900)
    back = np.load(tmp_path / "back.npz")
    ours = _ours(haa_stream, "train", 0.5, 3)
    np.testing.assert_array_equal(back["source_mask"], ours["mask"])
    np.testing.assert_array_equal(back["process"], ours["process"])
    for res in ("a1", "a2"):
        np.testing.assert_array_equal(back[f"targets_{res}"], ours[res])
        np.testing.assert_array_equal(back[f"mask_{res}"], (ours[res] >= 0).all(1))
    # SPANet applies log(1 + x) to log_normalize features on reading; the rest arrive unchanged.
    pt, eta = S.SOURCE_FEATURES.index("pt"), S.SOURCE_FEATURES.index("eta")
    np.testing.assert_allclose(back["source_data"][..., pt], np.log1p(ours["source"][..., pt]), rtol=1e-6)
    np.testing.assert_array_equal(back["source_data"][..., eta], ours["source"][..., eta])
    met = S.GLOBAL_FEATURES.index("met")
    np.testing.assert_allclose(back["globals"][:, met], np.log1p(ours["globals"][:, met]), rtol=1e-6)
