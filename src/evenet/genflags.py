"""Generator statusFlags from a particle list's mother links: the one definition.

The demo generator writes these flags into NanoAOD ``GenPart_statusFlags``,
and the Delphes reader derives them for ``Particle`` (which has none), so a
prompt particle means the same thing whatever the input format; real NanoAOD
files carry the flags CMS computed with the same definitions:

* copy: a particle whose mother has the same pdgId (the generator recording
  it again after a recoil or a radiation); isFirstCopy / isLastCopy: no copy
  above / below it.
* decayed lepton or hadron: a hadron, muon or tau with status 2 (decayed)
  that is its last copy.
* isPrompt: no decayed lepton or hadron among all its ancestors, i.e. not
  from a hadron, muon or tau decay. A hadron from hadronisation is prompt;
  its decay products are not.
* isHardProcess: status 21-29 (Pythia 8's hard process), or a final (1) or
  decayed (2) particle whose mother's first copy has status 22 (products of a
  resonance decay that were not copied again) unless that mother radiated
  (its next copy has status 51-59).
* fromHardProcess: the particle or an earlier copy of it is hard process.

Source: CMS ``PhysicsTools/HepMCCandAlgos/interface/MCTruthHelper.h``
(isPrompt, isDecayedLeptonHadron, isHardProcess, fromHardProcess) and the bit
layout of ``DataFormats/HepMCCandidate/interface/GenStatusFlags.h``.
"""

from __future__ import annotations

import numpy as np

from evenet.codes import (
    STATUS_FLAG_FROM_HARD_PROCESS,
    STATUS_FLAG_IS_DECAYED_LEPTON_HADRON,
    STATUS_FLAG_IS_FIRST_COPY,
    STATUS_FLAG_IS_HARD_PROCESS,
    STATUS_FLAG_IS_LAST_COPY,
    STATUS_FLAG_IS_PROMPT,
)

FINAL_STATE, DECAYED = 1, 2
MAX_DEPTH = 64  # pointer doubling: 64 rounds cover chains of 2**64 links; more means a cyclic record


def is_hadron(pdg: np.ndarray) -> np.ndarray:
    """Mesons and baryons of the PDG numbering scheme: two or three quark digits, no
    SUSY/technicolour/excited-fermion prefix (digit n in 1-8), no diquark (n_q3 = 0)."""
    a = np.abs(np.asarray(pdg, dtype=np.int64))
    prefix = (a // 1_000_000) % 10
    return (a > 100) & (a < 10_000_000) & ((prefix == 0) | (prefix == 9)) & ((a // 100) % 10 > 0) & ((a // 10) % 10 > 0)


def _follow(link: np.ndarray) -> np.ndarray:
    """End of each chain ``i -> link[i]`` (-1 ends a chain), by pointer doubling."""
    end = np.where(link >= 0, link, np.arange(len(link)))
    for _ in range(MAX_DEPTH):
        further = end[end]
        if np.array_equal(further, end):
            break
        end = further
    return end


def any_ancestor(mother: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Whether any ancestor (mother, grandmother, ...) of each row has ``flag``.

    Pointer doubling: after k rounds ``hit`` covers the first 2**k ancestors and
    ``jump`` points at the 2**k-th one.
    """
    jump = mother.copy()
    hit = np.where(jump >= 0, flag[np.maximum(jump, 0)], False)
    for _ in range(MAX_DEPTH):
        if not (jump >= 0).any():
            break
        safe = np.maximum(jump, 0)
        hit = hit | np.where(jump >= 0, hit[safe], False)
        jump = np.where(jump >= 0, jump[safe], -1)
    return hit


def status_flags(pdg: np.ndarray, mother: np.ndarray, status: np.ndarray) -> np.ndarray:
    """statusFlags (int32) of a flat particle list.

    ``mother``: index of each particle's (first) mother in the same flat list,
    -1 for none. ``status``: HepMC status as NanoAOD and Delphes store it (1
    final state, 2 a decayed hadron or lepton, else the generator's code; the
    demo generator converts Pythia's record with ``evenet.sim.truth.hepmc_status``).
    """
    pdg = np.asarray(pdg, dtype=np.int64)
    mother = np.asarray(mother, dtype=np.int64)
    status = np.abs(np.asarray(status, dtype=np.int64))
    n = len(pdg)
    has_mother = mother >= 0
    safe_mother = np.maximum(mother, 0)
    final_or_decayed = (status == FINAL_STATE) | (status == DECAYED)

    is_copy = has_mother & (pdg[safe_mother] == pdg)
    copy_mother = np.where(is_copy, mother, -1)
    first_copy = _follow(copy_mother)
    last_copy = np.ones(n, dtype=bool)
    last_copy[mother[is_copy]] = False

    decayed = (is_hadron(pdg) | (np.abs(pdg) == 13) | (np.abs(pdg) == 15)) & last_copy & (status == DECAYED)
    prompt = ~any_ancestor(mother, decayed)

    radiated = np.zeros(n, dtype=bool)  # a copy of this particle comes from final-state radiation
    radiated[mother[is_copy & (status >= 51) & (status <= 59)]] = True
    resonance_product = (
        has_mother & final_or_decayed & (status[first_copy[safe_mother]] == 22) & ~radiated[safe_mother]
    )
    hard = ((status >= 21) & (status <= 29)) | resonance_product
    from_hard = hard | any_ancestor(copy_mother, hard)

    flags = np.zeros(n, dtype=np.int32)
    for bit, value in (
        (STATUS_FLAG_IS_PROMPT, prompt),
        (STATUS_FLAG_IS_DECAYED_LEPTON_HADRON, decayed),
        (STATUS_FLAG_IS_HARD_PROCESS, hard),
        (STATUS_FLAG_FROM_HARD_PROCESS, from_hard),
        (STATUS_FLAG_IS_FIRST_COPY, first_copy == np.arange(n)),
        (STATUS_FLAG_IS_LAST_COPY, last_copy),
    ):
        flags |= value.astype(np.int32) << bit
    return flags
