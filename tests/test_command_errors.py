"""Analysis scripts end on bad input as the `evenet` CLI does: one line naming the problem, exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

from evenet.errors import InputFileError, command

REPO = Path(__file__).resolve().parents[1]


def test_a_user_error_is_one_line_and_exit_two(capsys):
    @command("python -m analyses.demo.step")
    def main(argv=None):
        raise InputFileError(f"{argv[0]}: no such file")

    assert main(["missing.h5"]) == 2
    assert capsys.readouterr().err == "python -m analyses.demo.step: error: missing.h5: no such file\n"


def test_a_bug_keeps_its_traceback():
    @command("step")
    def main(argv=None):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        main([])


def test_success_returns_zero():
    assert command("step")(lambda argv=None: None)([]) == 0


@pytest.mark.parametrize("module, args", [
    ("analyses.xyh.features", ["missing.h5", "-o", "{out}/features.parquet"]),
    ("analyses.haa.summarize", ["missing/result.json", "-o", "{out}/summary.json"]),
])
def test_script_names_the_missing_file_and_writes_nothing(tmp_path, module, args):
    run = subprocess.run([sys.executable, "-m", module, *[a.format(out=tmp_path) for a in args]],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 2
    assert "missing" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f"python -m {module}: error:")
    assert list(tmp_path.iterdir()) == []
