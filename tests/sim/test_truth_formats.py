"""One definition of a prompt particle: the same generated events written as NanoAOD
(statusFlags computed by the generator on the full Pythia record) and as Delphes
(flags derived by the reader from the pruned Particle list) give the same truth."""

import awkward as ak
import numpy as np
import pytest

from evenet.codes import STATUS_FLAG_IS_PROMPT
from evenet.io.reader import iterate_events
from evenet.sim.sample import generate_sample
from evenet.truth.targets import invisible_targets

NEUTRINOS = (12, 14, 16)


@pytest.fixture(scope="module")
def hadron_level_ttbar(tmp_path_factory):
    """Dileptonic ttbar (W -> e, mu, tau) with showers, hadronisation and decays, in both formats."""
    base = tmp_path_factory.mktemp("ttbar_hadron")
    events = {}
    for fmt in ("nanoaod", "delphes"):
        path = base / f"{fmt}.root"
        generate_sample("ttbar_2l", 40, 17, 0, path, fmt, level="hadron")
        events[fmt] = ak.concatenate(list(iterate_events(path, fmt)))
    return events


def _bit(genpart, bit):
    return ak.to_numpy(ak.flatten((genpart.statusFlags >> bit) & 1)).astype(bool)


@pytest.mark.slow
def test_status_flags_agree(hadron_level_ttbar):
    nano, delphes = hadron_level_ttbar["nanoaod"].GenPart, hadron_level_ttbar["delphes"].GenPart
    assert ak.all(nano.pdgId == delphes.pdgId)
    # every bit: isPrompt, isDecayedLeptonHadron, isHardProcess, fromHardProcess, isFirstCopy, isLastCopy
    assert ak.all(nano.statusFlags == delphes.statusFlags)
    pdg = np.abs(ak.to_numpy(ak.flatten(nano.pdgId)))
    prompt = _bit(nano, STATUS_FLAG_IS_PROMPT)
    neutrino = np.isin(pdg, NEUTRINOS)
    # Not vacuous: the record holds prompt neutrinos (from W) and non-prompt ones
    # (tau and heavy-flavour decays), and prompt (primary) b hadrons.
    assert (neutrino & prompt).sum() >= 40 and (neutrino & ~prompt).sum() > 0
    b_hadron = np.isin(pdg // 100 % 10, [5]) & (pdg > 100)
    assert (b_hadron & prompt).any()


@pytest.mark.slow
def test_neutrino_targets_agree(hadron_level_ttbar):
    nano = invisible_targets(hadron_level_ttbar["nanoaod"], 4)
    delphes = invisible_targets(hadron_level_ttbar["delphes"], 4)
    for key in ("pdgId", "mask", "pt", "eta", "phi"):
        np.testing.assert_allclose(nano[key], delphes[key], rtol=1e-6, err_msg=key)
    # two W -> l nu per event: exactly two prompt neutrinos, whatever the taus and B hadrons decayed into
    assert np.all(nano["mask"].sum(axis=1) == 2)
