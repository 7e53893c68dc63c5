"""Detector defaults equal config/detector.yaml; user errors give one line and exit code 2."""

from pathlib import Path

import pytest
import yaml

from evenet.cli import main
from evenet.errors import ConfigError
from evenet.sim.detector_config import DEFAULTS, load_detector_config

REPO = Path(__file__).resolve().parents[2]


def test_builtin_defaults_match_config_file():
    assert load_detector_config(REPO / "config" / "detector.yaml") == DEFAULTS
    assert yaml.safe_load((REPO / "config" / "detector.yaml").read_text()).keys() == DEFAULTS.keys()


def test_unknown_detector_key_is_named(tmp_path):
    bad = tmp_path / "det.yaml"
    bad.write_text("jet: {pt_mni: 30}\n")
    with pytest.raises(ConfigError, match="jet.pt_mni"):
        load_detector_config(bad)


@pytest.mark.parametrize("args, message", [
    (["--process", "ttbar_1l", "--params", "{not json"], "--params"),
    (["--process", "xyh", "--params", '{"m_x": 200, "m_y": 100}'], "m_x"),
    (["--process", "ttbar_1l", "--params", '{"m_a": 20}'], "m_a"),
    (["--process", "ttbar_2l_spin", "--params", '{"C": [[2, 0, 0], [0, 0, 0], [0, 0, 0]]}'], "C"),
])
def test_cli_user_errors(tmp_path, capsys, args, message):
    out = tmp_path / "out.root"
    assert main(["generate", "--events", "10", "--output", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def test_cli_writes_file_and_keeps_stdout_clean(tmp_path, capfd):
    out = tmp_path / "xyh.root"
    assert main(["generate", "--process", "xyh", "--events", "50", "--params", '{"m_x": 600, "m_y": 90}',
                 "--format", "delphes", "--output", str(out)]) == 0
    assert out.exists()
    assert "PYTHIA" not in capfd.readouterr().out


def test_simulation_levels_agree_between_cli_pythia_settings_and_config_schema():
    from evenet.sim.processes import SIMULATION_LEVELS
    from evenet.sim.pythia_source import LEVELS

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    generate = schema["$defs"]["sample"]["properties"]["generate"]
    assert set(LEVELS) == set(SIMULATION_LEVELS)
    assert generate["properties"]["level"]["enum"] == list(SIMULATION_LEVELS)
