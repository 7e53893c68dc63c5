import pytest

from evenet.sim.sample import generate_sample


@pytest.fixture(scope="session")
def ttbar_files(tmp_path_factory):
    """A semileptonic ttbar sample written in both formats (same seed)."""
    base = tmp_path_factory.mktemp("ttbar")
    paths = {fmt: base / f"ttbar_1l_{fmt}.root" for fmt in ("nanoaod", "delphes")}
    for fmt, path in paths.items():
        generate_sample("ttbar_1l", 3000, 11, 0, path, fmt)
    return paths
