"""Pairing efficiency of resonance assignments in SPANet's two readings.

Definitions (Fenton, Shmakov, Okawa, Li, Hsiao, Hsu, Whiteson, Baldi, "Reconstruction
of unstable heavy particles using deep symmetry-preserving attention networks",
Commun. Phys. 7 (2024) 139; Shmakov et al., SciPost Phys. 12 (2022) 178):

- A resonance is *reconstructable* in an event when every one of its products is
  matched to an object (all target slots >= 0).
- It is *correctly assigned* when the predicted slots equal the target slots, up to
  permutations of its symmetric products (``b1 <-> b2``) and, jointly for the event,
  one permutation of the identical resonances (``a1 <-> a2``) chosen to maximise the
  number of correct resonances.
- **Event purity**: the fraction of events in which every reconstructable resonance
  is correctly assigned.
- **Particle purity**: correctly assigned resonances / reconstructable resonances.

Both are reported per category of events with ``k = 0, 1, ..., R`` reconstructable
resonances, and for ``all`` events with at least one (SPANet's tables leave events
with none out of "all": there is nothing to judge). Category 0 has an event fraction
but no purity (NaN). The EveNet paper's "pairing efficiency" and the training metric
``evenet.model.heads.assignment.pairing_efficiency`` are the event purity of the
category ``k = R`` (every resonance reconstructable).

Uncertainties are binomial: event purity and event fraction count events; particle
purity counts resonances as independent trials, which ignores that the resonances of
one event share its assignment (an approximation SPANet's tables make too; bootstrap
events with :mod:`evenet.stats.intervals` where that matters). Events are unweighted.

Inputs per resonance: an (N, n_products) integer array of object slots (-1 = none),
or a mapping product name -> (N,) array (e.g. the h5py group ``TARGETS/<resonance>``
of a point-cloud file, or ``assignment/<resonance>`` of ``evenet predict``'s output,
which is already (N, n_products)). The topology is a
:class:`evenet.model.heads.topology.ResonanceTopology` or the same content as a plain
mapping (the ``assignment.topology`` block of ``config/training/finetune_*.yaml``).
This module imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evenet.model.heads.topology import Resonance, ResonanceTopology
from evenet.stats.intervals import ONE_SIGMA, Efficiency, efficiency


@dataclass(frozen=True)
class AssignmentOutcome:
    """Per event and resonance (columns in topology order): reconstructable and correct."""

    names: tuple[str, ...]
    reconstructable: np.ndarray
    correct: np.ndarray

    @property
    def n_reconstructable(self) -> np.ndarray:
        return self.reconstructable.sum(axis=1)

    @property
    def event_correct(self) -> np.ndarray:
        """Every reconstructable resonance of the event correctly assigned (vacuous with none)."""
        return self.correct.sum(axis=1) == self.n_reconstructable


@dataclass(frozen=True)
class PurityRow:
    """One category of SPANet's table.

    ``category`` is ``"0"``, ``"1"``, ... (that many reconstructable resonances) or
    ``"all"`` (at least one). ``event_fraction`` is the share of all events in the
    category; ``event_purity`` counts its events, ``particle_purity`` its
    reconstructable resonances.
    """

    category: str
    events: int
    event_fraction: Efficiency
    event_purity: Efficiency
    particle_purity: Efficiency


@dataclass(frozen=True)
class PairingReport:
    """The purity table (categories ``0..R`` then ``all``) and the per-event outcome."""

    rows: tuple[PurityRow, ...]
    n_events: int
    outcome: AssignmentOutcome

    def row(self, category: str | int) -> PurityRow:
        for row in self.rows:
            if row.category == str(category):
                return row
        raise KeyError(f"no category {category!r} (have {[r.category for r in self.rows]})")

    @property
    def fully_reconstructable(self) -> PurityRow:
        """Events with every resonance reconstructable (the usual 'pairing efficiency')."""
        return self.rows[len(self.outcome.names)]


def as_topology(topology) -> ResonanceTopology:
    """A :class:`ResonanceTopology` from itself or from the config mapping it is built from.

    Accepts the block with ``resonances`` (and optional ``identical``) or a mapping that
    holds it under ``topology`` (the ``assignment`` head block of a training config).
    """
    if isinstance(topology, ResonanceTopology):
        return topology
    if isinstance(topology, Mapping) and "resonances" not in topology and "topology" in topology:
        return ResonanceTopology.from_config(topology["topology"], key="assignment.topology")
    return ResonanceTopology.from_config(topology, key="topology")


def _slots(assignments, resonance: Resonance, what: str) -> np.ndarray:
    if resonance.name not in assignments:
        raise ValueError(f"{what} assignments lack resonance {resonance.name!r}")
    value = assignments[resonance.name]
    if isinstance(value, Mapping):
        missing = [p for p in resonance.products if p not in value]
        if missing:
            raise ValueError(f"{what} assignments of {resonance.name!r} lack product(s) {missing}")
        value = np.stack([np.asarray(value[p]) for p in resonance.products], axis=1)
    value = np.asarray(value)
    if value.ndim != 2 or value.shape[1] != resonance.degree:
        raise ValueError(f"{what} assignments of {resonance.name!r}: expected shape (N, {resonance.degree}) "
                         f"for products {list(resonance.products)}, got {value.shape}")
    if not np.issubdtype(value.dtype, np.integer):
        raise ValueError(f"{what} assignments of {resonance.name!r}: expected integer slots, got {value.dtype}")
    return value.astype(np.int64)


def _canonical(slots: np.ndarray, resonance: Resonance) -> np.ndarray:
    """Sort the slots within each set of symmetric products, so equal-up-to-symmetry compares equal."""
    out = slots.copy()
    for group in resonance.symmetric:
        columns = list(group)
        out[:, columns] = np.sort(out[:, columns], axis=1)
    return out


def assignment_outcome(predicted: Mapping, truth: Mapping, topology) -> AssignmentOutcome:
    """Which resonances are reconstructable and correctly assigned, per event (module docstring)."""
    topology = as_topology(topology)
    resonances = topology.resonances
    preds = [_canonical(_slots(predicted, r, "predicted"), r) for r in resonances]
    targets = [_canonical(_slots(truth, r, "true"), r) for r in resonances]
    lengths = {len(a) for a in preds + targets}
    if len(lengths) > 1:
        raise ValueError(f"assignment arrays differ in number of events: {sorted(lengths)}")
    n = lengths.pop()
    reconstructable = np.stack([(t >= 0).all(axis=1) for t in targets], axis=1)
    best = np.zeros((n, len(resonances)), dtype=bool)
    for perm in topology.event_permutations():
        # prediction r is read as the resonance perm[r] (identical resonances share products' layout)
        correct = np.zeros_like(best)
        for r, s in enumerate(perm):
            correct[:, s] = reconstructable[:, s] & (preds[r] == targets[s]).all(axis=1)
        better = correct.sum(axis=1) > best.sum(axis=1)
        best[better] = correct[better]
    return AssignmentOutcome(tuple(topology.names), reconstructable, best)


def purity_table(outcome: AssignmentOutcome, select=None, level: float = ONE_SIGMA,
                 method: str = "clopper-pearson") -> PairingReport:
    """Event and particle purity per number of reconstructable resonances.

    ``select`` (a boolean mask over events) restricts the table to a subset, e.g. one
    jet multiplicity as in SPANet's tables; event fractions are then shares of the
    subset.
    """
    if select is not None:
        select = np.asarray(select, dtype=bool)
        outcome = AssignmentOutcome(outcome.names, outcome.reconstructable[select], outcome.correct[select])
    n_events = len(outcome.reconstructable)
    n_recon = outcome.n_reconstructable
    n_correct = outcome.correct.sum(axis=1)
    event_ok = outcome.event_correct
    categories = [(str(k), n_recon == k) for k in range(len(outcome.names) + 1)] + [("all", n_recon >= 1)]
    rows = []
    for name, members in categories:
        events = int(members.sum())
        judged = name != "0"
        purity = efficiency(int(event_ok[members].sum()), events, level, method) if judged else \
            efficiency(0, 0, level, method)
        particles = efficiency(int(n_correct[members].sum()), int(n_recon[members].sum()), level, method)
        rows.append(PurityRow(name, events, efficiency(events, n_events, level, method), purity, particles))
    return PairingReport(tuple(rows), n_events, outcome)


def pairing_purity(predicted: Mapping, truth: Mapping, topology, select=None, level: float = ONE_SIGMA,
                   method: str = "clopper-pearson") -> PairingReport:
    """:func:`assignment_outcome` then :func:`purity_table`: SPANet's purity table in one call.

    Example (``assignment/<name>`` of ``evenet predict``'s output against the targets of
    the same events, signal only; the topology block of the fine-tune config)::

        report = pairing_purity({"Y": pred_y, "H": pred_h}, {"Y": true_y, "H": true_h},
                                config["model"]["heads"]["assignment"], select=is_signal)
        report.fully_reconstructable.event_purity.value
    """
    return purity_table(assignment_outcome(predicted, truth, topology), select, level, method)
