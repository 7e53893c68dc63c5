"""The mass grid as a table: reading, checks, the samples it adds, overrides, hypothesis parameters."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analyses.xyh.grid import add_grid_samples, point_name, point_overrides, read_masspoints, sample_name
from evenet.config import check_config, validate_schema
from evenet.errors import ConfigError
from evenet.pointcloud.parameters import ParameterSpec

REPO = Path(__file__).resolve().parents[2]
HEADER = "MX\tMY\tevents\tparts\tseed\n"


def write(tmp_path, text):
    path = tmp_path / "grid.tsv"
    path.write_text(text)
    return path


def test_demo_grid_has_four_points_spread_over_the_plane():
    table = read_masspoints(REPO / "config" / "xyh" / "masspoints.tsv")
    assert len(table) == 4
    assert table.MX.min() <= 300 and table.MX.max() >= 900 and table.MY.max() >= 400
    assert [point_name(r.MX, r.MY) for r in table.itertuples()][1] == "MX-500_MY-100"


def test_open_data_table_flags_the_unphysical_rows():
    table = pd.read_csv(REPO / "config" / "xyh" / "masspoints_cms_open_data.tsv", sep="\t", comment="#")
    assert list(table.columns) == ["MX", "MY", "doi", "physical"]
    flagged = table[table.physical == "no"]
    assert sorted(zip(flagged.MX, flagged.MY)) == [(500, 500), (500, 600), (700, 700)]
    assert (table[table.physical == "yes"].MY < table[table.physical == "yes"].MX).all()
    assert table.doi.str.startswith("https://doi.org/10.7483/OPENDATA.CMS.").all()
    assert not table.duplicated(["MX", "MY"]).any()


@pytest.mark.parametrize("text, message", [
    ("MY\tevents\tparts\tseed\n100\t1\t1\t1\n", "no column 'MX'"),
    (HEADER + "500\t100\t10\t1\t1\n500\t100\t20\t1\t2\n", "listed twice"),
    (HEADER + "300\t200\t10\t1\t1\n", "must exceed M_Y"),
    (HEADER + "500\tabc\t10\t1\t1\n", "row 2: MY must be"),
    ("MX\tMY\n500\t100\n", "either the columns"),
    (HEADER, "no mass points"),
])
def test_bad_tables_give_one_line_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as err:
        read_masspoints(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_grid_samples_join_the_stream_and_pass_the_config_checks():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["xyh"]["masspoints"] = str(REPO / config["xyh"]["masspoints"])
    table = add_grid_samples(config)
    validate_schema(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    check_config(config, base=REPO)
    classes = config["streams"]["xyh"]["classes"]
    assert list(classes) == ["background", "signal"]  # signal label 1
    assert classes["signal"] == [sample_name(r.MX, r.MY) for r in table.itertuples()]
    block = config["samples"]["xyh_mx700_my400"]["generate"]
    assert block["process"] == "xyh" and block["params"] == {"m_x": 700.0, "m_y": 400.0, "leptons": "11 13"}
    again = copy.deepcopy(config)
    with pytest.raises(ConfigError, match="samples.xyh_mx300_my60: defined by the mass-point table"):
        add_grid_samples(again)


def test_files_column_makes_a_real_data_sample(tmp_path):
    path = write(tmp_path, "MX\tMY\tfiles\n500\t100\ta.root b.root\n")
    config = {"xyh": {"masspoints": str(path), "stream": "s", "signal_class": "signal",
                      "signal": {"format": "nanoaod", "xsec_pb": 0.5}},
              "streams": {"s": {"classes": {"bkg": ["x"]}}}, "samples": {}}
    add_grid_samples(config)
    assert config["samples"]["xyh_mx500_my100"] == {"format": "nanoaod", "xsec_pb": 0.5, "files": ["a.root", "b.root"]}


def test_point_overrides(tmp_path):
    assert point_overrides(tmp_path, "MX-500_MY-100") == {}
    (tmp_path / "MX-500_MY-100.yaml").write_text("set: {trainer.max_epochs: 3}\n")
    assert point_overrides(tmp_path, "MX-500_MY-100") == {"set": {"trainer.max_epochs": 3}}
    (tmp_path / "MX-500_MY-100.yaml").write_text("sett: {}\n")
    with pytest.raises(ConfigError, match="MX-500_MY-100.yaml: expected a mapping"):
        point_overrides(tmp_path, "MX-500_MY-100")


def test_background_events_draw_grid_points_uniformly_and_reproducibly():
    spec = ParameterSpec.from_json({"names": ["MX", "MY"], "values": [[300, 60], [500, 100], [900, 150]], "seed": 4})
    n = 30000
    run, lumi, event = np.ones(n, np.uint64), np.ones(n, np.uint64), np.arange(n, dtype=np.uint64)
    drawn = spec.assign(run, lumi, event)
    assert drawn.shape == (n, 2) and drawn.dtype == np.float32
    counts = np.array([np.sum(drawn[:, 0] == mx) for mx in (300, 500, 900)])
    assert counts.sum() == n and np.all(np.abs(counts - n / 3) < 5 * np.sqrt(n / 3))
    np.testing.assert_array_equal(drawn[::7], spec.assign(run[::7], lumi[::7], event[::7]))  # per event
    one = ParameterSpec.from_json({"names": ["MX", "MY"], "values": [[500, 100]]})
    assert np.all(one.assign(run[:3], lumi[:3], event[:3]) == [500, 100])
    with pytest.raises(ConfigError, match="rows of 2 numbers"):
        ParameterSpec.from_json({"names": ["MX", "MY"], "values": [[500]]})
