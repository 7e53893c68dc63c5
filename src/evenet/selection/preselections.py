"""The named preselections and the one entry point ``select(events, name, params)``.

``params`` is the selection's block of config/selections.yaml (a mapping). It
is read in full before any event is looked at: a missing key, a value of the
wrong type, or a key no selection reads raises
:class:`~evenet.errors.ConfigError` naming its dotted path
(``selections.<name>.<key>...``). The output contract is in docs/selections.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import awkward as ak

from evenet.errors import ConfigError
from evenet.io.needs import RecordNeeds
from evenet.selection.dimuon import DimuonParameters, select_dimuon
from evenet.selection.haa import HaaParameters, select_haa
from evenet.selection.parameters import Block
from evenet.selection.pretrain import PretrainParameters, select_pretrain
from evenet.selection.result import Selection
from evenet.selection.ttbar_2l import Ttbar2lParameters, select_ttbar_2l
from evenet.selection.xyh import XyhParameters, select_xyh


def _object_needs(params) -> RecordNeeds:
    return params.common.record_needs()


class Preselection(NamedTuple):
    parse: Callable[[Block], object]
    run: Callable[[ak.Array, object], Selection]
    needs: Callable[[object], RecordNeeds] = _object_needs
    """what the selection reads from a file (evenet.io.needs); by default its objects and MET"""


PRESELECTIONS: dict[str, Preselection] = {
    "pretrain": Preselection(PretrainParameters.from_block, select_pretrain),
    "xyh": Preselection(XyhParameters.from_block, select_xyh),
    "haa": Preselection(HaaParameters.from_block, select_haa),
    "ttbar_2l": Preselection(Ttbar2lParameters.from_block, select_ttbar_2l),
    "dimuon": Preselection(DimuonParameters.from_block, select_dimuon, DimuonParameters.record_needs),
}


def parse_parameters(name: str, params: Mapping):
    """Validate a selection's config block and return its typed parameters."""
    if name not in PRESELECTIONS:
        raise ConfigError(f"unknown selection 'selections.{name}' (known: {sorted(PRESELECTIONS)})")
    block = Block(params, f"selections.{name}")
    parsed = PRESELECTIONS[name].parse(block)
    block.check_all_used()
    return parsed


def record_needs(name: str, params: Mapping) -> RecordNeeds:
    """What the selection ``name`` with config block ``params`` reads from a file."""
    return PRESELECTIONS[name].needs(parse_parameters(name, params))


def select(events: ak.Array, name: str, params: Mapping) -> Selection:
    """Run the preselection ``name`` on a chunk of events with its config block ``params``."""
    parsed = parse_parameters(name, params)
    return PRESELECTIONS[name].run(events, parsed)
