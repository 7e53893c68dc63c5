"""``dimuon``: two tight muons in the Upsilon region, for the CATHODE anomaly search.

Cuts, in cutflow order: exactly ``n_muons`` (2) muons passing the muon object
definition (config: tightId, pt, |eta|, pfRelIso04_all); their invariant mass
in a sideband or the signal region (intervals [low, high) from config).

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
from evenet.physics.kinematics import system_mass
from evenet.selection.common import CommonParameters, cleaned_candidates
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

    @classmethod
    def from_block(cls, block: Block) -> DimuonParameters:
        cuts = block.block("cuts")
        windows = cuts.block("windows")
        signal = windows.interval("signal_region")
        sidebands = windows.intervals("sidebands")
        for low, high in sidebands:
            if low < signal[1] and signal[0] < high:
                raise ConfigError(f"configuration key '{windows.path}.sidebands' overlaps the signal region {list(signal)}")
        return cls(CommonParameters.from_block(block), cuts.integer("n_muons"), signal, sidebands)


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
    cutflow.apply("n_muons", ak.num(muons, axis=1) == params.n_muons)
    leading = muons[:, :2]
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
