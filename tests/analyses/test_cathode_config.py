"""The cathode YAML: the demo config loads; bad keys and values give one line naming the key."""

from pathlib import Path

import pytest
import yaml

from analyses.cathode.config import load_config
from analyses.cathode.folds import fold_of
from evenet.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "config/cathode/demo.yaml"


def test_demo_config_loads():
    cfg = load_config(DEMO)
    assert cfg["mass"]["sr_edges"] == 12 and cfg["generator"]["folds"] == 5
    assert len(cfg["streams"]["nosignal"]) >= 2  # independent no-signal samples: the null band


def test_a_single_nosignal_stream_becomes_a_list(tmp_path):
    cfg = yaml.safe_load(DEMO.read_text())
    cfg["streams"]["nosignal"] = "dimuon_nosignal"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert load_config(path)["streams"]["nosignal"] == ["dimuon_nosignal"]


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["classifier"].update(ensemble=0), "classifier.ensemble"),
    (lambda c: c["classifier"].update(extra=1), "'classifier' needs exactly"),
    (lambda c: c["all"].update(variants=["nope"]), "all.variants"),
    (lambda c: c["study"].update(pairs=[["os", "xx"]]), "study.pairs"),
    (lambda c: c["mass"].update(signal_region=[4.0, 10.6]), "mass.signal_region"),
    (lambda c: c["streams"].update(nosignal=[]), "streams.nosignal"),
    (lambda c: c["all"].update(diagnostics=["xx"]), "all.diagnostics"),
    (lambda c: c["generator"].update(diagnostic_events_per_model=0), "generator.diagnostic_events_per_model"),
])
def test_bad_values_name_the_key(tmp_path, edit, message):
    cfg = yaml.safe_load(DEMO.read_text())
    edit(cfg)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_folds_depend_on_the_event_identity_only():
    import numpy as np

    ids = np.stack([np.ones(1000, np.uint64), np.ones(1000, np.uint64), np.arange(1000, dtype=np.uint64)], 1)
    folds = fold_of(ids, 5, 11)
    assert set(folds) == set(range(5)) and np.all(np.bincount(folds) > 150)
    assert np.array_equal(fold_of(ids[::-1], 5, 11), folds[::-1])
