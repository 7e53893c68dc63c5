"""``dimuon``: two muons in the Upsilon region, for the CATHODE anomaly search.

Cuts, in cutflow order: any of the ``cuts.triggers`` fired (optional list of
NanoAOD ``HLT_*`` branches; no cut when absent or empty); exactly ``n_muons``
(2) muons passing the muon object definition (config: pt, |eta|, and optionally
an id, isolation maximum or minimum, impact parameters; see
:mod:`evenet.selection.objects`); optionally the leading muons above
``cuts.leading_pt_min`` (one threshold per muon, in pt order); their invariant
mass in a sideband or the signal region (intervals [low, high) from config).

Per-event outputs: ``dimuon_mass`` (GeV), ``channel`` (CHANNEL_OS = 0 for
opposite-sign, CHANNEL_SS = 1 for same-sign; both channels are kept, apart by
this code) and ``region`` (REGION_SB = 0 in either sideband, REGION_SR = 1 in
the signal region; events in no window are dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.errors import ConfigError
from evenet.io.branches import NANOAOD_TRIGGER_PREFIX as TRIGGER_PREFIX
from evenet.io.needs import TRIGGER, RecordNeeds
from evenet.physics.kinematics import system_mass
from evenet.selection.common import OPTIONAL_COLLECTIONS, CommonParameters, cleaned_candidates
from evenet.selection.cutflow import Cutflow
from evenet.selection.parameters import Block
from evenet.selection.result import Selection, event_weights, passing_events

CHANNEL_OS = 0
CHANNEL_SS = 1
REGION_SB = 0
REGION_SR = 1
NO_REGION = -1


@dataclass(frozen=True)
class DimuonParameters:
    common: CommonParameters
    n_muons: int
    signal_region: tuple[float, float]
    sidebands: tuple[tuple[float, float], ...]
    triggers: tuple[str, ...] = ()
    """trigger paths, without the HLT_ prefix of their branch"""
    leading_pt_min: tuple[float, ...] = ()

    @classmethod
    def from_block(cls, block: Block) -> DimuonParameters:
        cuts = block.block("cuts")
        windows = cuts.block("windows")
        signal = windows.interval("signal_region")
        sidebands = windows.intervals("sidebands")
        for low, high in sidebands:
            if low < signal[1] and signal[0] < high:
                raise ConfigError(f"configuration key '{windows.path}.sidebands' overlaps the signal region {list(signal)}")
        n_muons = cuts.integer("n_muons")
        triggers = tuple(_trigger_path(name, f"{cuts.path}.triggers[{i}]")
                         for i, name in enumerate(cuts.list("triggers") if "triggers" in cuts else []))
        leading = tuple(cuts.numbers("leading_pt_min")) if "leading_pt_min" in cuts else ()
        if len(leading) > n_muons:
            raise ConfigError(f"configuration key '{cuts.path}.leading_pt_min' has {len(leading)} thresholds for {n_muons} muons")
        return cls(CommonParameters.from_block(block), n_muons, signal, sidebands, triggers, leading)

    def record_needs(self) -> RecordNeeds:
        """Muons (and whatever else ``objects`` lists), the trigger bits; MET only where the file has it."""
        objects = self.common.record_needs(optional=OPTIONAL_COLLECTIONS + ("MET",))
        return objects | RecordNeeds(frozenset(f"{TRIGGER}.{path}" for path in self.triggers))


def _trigger_path(name, where: str) -> str:
    if not isinstance(name, str) or not name.startswith(TRIGGER_PREFIX) or len(name) == len(TRIGGER_PREFIX):
        raise ConfigError(f"configuration key '{where}' must name a trigger branch {TRIGGER_PREFIX}<path>, got {name!r}")
    return name[len(TRIGGER_PREFIX):]


def mass_region(mass: np.ndarray, signal: tuple[float, float], sidebands) -> np.ndarray:
    """REGION_SR / REGION_SB / NO_REGION per mass value; windows are [low, high)."""
    region = np.full(len(mass), NO_REGION, dtype=np.int32)
    for low, high in sidebands:
        region[(mass >= low) & (mass < high)] = REGION_SB
    region[(mass >= signal[0]) & (mass < signal[1])] = REGION_SR
    return region


def select_dimuon(events: ak.Array, params: DimuonParameters) -> Selection:
    objects = cleaned_candidates(events, params.common)
    muons = objects["muon"]

    cutflow = Cutflow(event_weights(events))
    if params.triggers:
        fired = np.zeros(len(events), dtype=bool)
        for path in params.triggers:
            fired |= ak.to_numpy(events[TRIGGER][path]).astype(bool)
        cutflow.apply("trigger", fired)
    cutflow.apply("n_muons", ak.num(muons, axis=1) == params.n_muons)
    leading = muons[:, :2]
    if params.leading_pt_min:
        padded = ak.fill_none(ak.pad_none(muons.pt, len(params.leading_pt_min), axis=1), 0.0)
        above = np.ones(len(events), dtype=bool)
        for i, threshold in enumerate(params.leading_pt_min):
            above &= ak.to_numpy(padded[:, i]) > threshold
        cutflow.apply("leading_pt", above)
    mass = system_mass(leading)
    charge_product = ak.to_numpy(ak.prod(leading.charge, axis=1))
    region = mass_region(mass, params.signal_region, params.sidebands)
    passing = cutflow.apply("mass_window", region != NO_REGION)

    outputs = {
        "dimuon_mass": mass,
        "channel": np.where(charge_product > 0, CHANNEL_SS, CHANNEL_OS).astype(np.int32),
        "region": region,
    }
    return Selection("dimuon", passing_events(events, passing, objects, params.common.slots, outputs), cutflow.to_list())
