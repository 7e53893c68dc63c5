"""result.json: round trip, checkpoint hashes, NaN, validation errors naming the file and key."""

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from evenet.errors import InputFileError
from evenet.results import SCHEMA_VERSION, Measurement, read_result, write_result


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "models" / "full.ckpt"
    path.parent.mkdir()
    path.write_bytes(b"weights" * 1000)
    return path


def test_round_trip(tmp_path, checkpoint):
    numbers = {
        "max_sic": Measurement(4.1, error=0.3, unit=None, note="min_background = 10"),
        "xsec_limit": Measurement(0.12, low=0.08, high=0.18, unit="pb", note="expected 95 % CL, CLs"),
        "events": 1234,
        "failed_sic": Measurement(float("nan"), error=float("nan")),
    }
    config = {"point": {"MX": np.int64(500), "MY": 100.0}, "edges": np.array([0.0, 0.5, 1.0]),
              "output": tmp_path / "out", "enabled": np.bool_(True)}
    path = write_result(tmp_path / "results" / "result.json", numbers, config, {"full": checkpoint},
                        curves={"sic": [1.0, 2.0]})
    result = read_result(path)
    assert result.schema_version == SCHEMA_VERSION
    assert result.numbers["max_sic"] == numbers["max_sic"]
    assert result.numbers["xsec_limit"] == numbers["xsec_limit"]
    assert result.numbers["events"] == Measurement(1234.0)
    assert math.isnan(result.numbers["failed_sic"].value) and math.isnan(result.numbers["failed_sic"].error)
    assert result.config == {"point": {"MX": 500, "MY": 100.0}, "edges": [0.0, 0.5, 1.0],
                             "output": str(tmp_path / "out"), "enabled": True}
    (entry,) = result.checkpoints
    assert entry.name == "full" and entry.path == str(checkpoint)
    assert entry.sha256 == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert entry.bytes == 7000
    assert result.extra == {"curves": {"sic": [1.0, 2.0]}}
    assert set(result.code) == {"git_commit", "git_dirty", "package_version"}


def test_file_is_plain_json_with_null_for_nan(tmp_path):
    path = write_result(tmp_path / "result.json", {"x": float("nan")}, {})
    text = path.read_text()
    assert json.loads(text)["numbers"]["x"] == {"value": None}
    assert "NaN" not in text


def test_git_commit_is_recorded_in_a_checkout():
    repo = Path(__file__).resolve().parents[1]
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    from evenet.results import code_version

    assert len(code_version()["git_commit"]) == 40


def test_checkpoint_list_is_named_by_stem(tmp_path, checkpoint):
    result = read_result(write_result(tmp_path / "r.json", {}, {}, [checkpoint]))
    assert result.checkpoints[0].name == "full"


def test_missing_checkpoint_names_it_and_writes_nothing(tmp_path):
    with pytest.raises(InputFileError, match="missing.ckpt"):
        write_result(tmp_path / "result.json", {"x": 1.0}, {}, {"full": tmp_path / "missing.ckpt"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("numbers, config, extra, message", [
    ({"x": Measurement(float("inf"))}, {}, {}, "numbers.x"),
    ({"x": 1.0}, {"a": object()}, {}, "config.a"),
    ({"x": 1.0}, {}, {"code": 3}, "reserved"),
    ({"": 1.0}, {}, {}, "non-empty"),
])
def test_bad_content_is_refused_before_writing(tmp_path, numbers, config, extra, message):
    with pytest.raises((TypeError, ValueError), match=message):
        write_result(tmp_path / "result.json", numbers, config, **extra)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("document, message", [
    ("{not json", "not JSON"),
    (json.dumps({"schema": "evenet.result", "schema_version": 1, "numbers": {"x": {"error": 1}},
                 "config": {}, "checkpoints": [], "code": {"git_commit": None, "git_dirty": None,
                                                           "package_version": None}}),
     "numbers.x: 'value' is a required property"),
    (json.dumps({"schema": "evenet.result", "schema_version": 99}), "newer"),
    (json.dumps({"numbers": {}}), "required property"),
])
def test_reader_names_file_and_key(tmp_path, document, message):
    path = tmp_path / "result.json"
    path.write_text(document)
    with pytest.raises(InputFileError, match=message) as error:
        read_result(path)
    assert str(path) in str(error.value)


def test_reader_on_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="cannot read"):
        read_result(tmp_path / "absent.json")
