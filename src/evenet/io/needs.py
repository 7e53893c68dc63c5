"""What the reader reads from a file: the parts of the event record a selection needs.

A *record key* names a collection (``Muon``, ``Jet``, ``MET``, ``GenPart``, ...),
one field of a collection beyond its kinematics (``Muon.tightId``), or a
trigger bit (``HLT.IsoMu24``, from the NanoAOD branch ``HLT_IsoMu24``).

* required: the file must have it; a missing branch is an error naming it.
  A field or trigger bit named is always required.
* optional: read when the file has it; an absent collection is read as empty
  (``MET`` as zero), with one log line.

Each selection declares its needs (:func:`evenet.selection.preselections.record_needs`);
``evenet ingest --needs`` takes the union over the streams a sample feeds.
Event identity (run, luminosityBlock, event) and the generator weight are read
whenever the file has them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from evenet.errors import ConfigError

COLLECTIONS = ("Electron", "Muon", "Tau", "Photon", "Jet", "MET", "GenPart")
TRIGGER = "HLT"


@dataclass(frozen=True)
class RecordNeeds:
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def __post_init__(self):
        fields = {key for key in self.optional if "." in key}  # a field or trigger bit named is always required
        object.__setattr__(self, "required", frozenset(self.required) | fields)
        object.__setattr__(self, "optional", frozenset(self.optional) - self.required)
        for key in self.required | self.optional:
            check_key(key)

    def __or__(self, other: RecordNeeds) -> RecordNeeds:
        return RecordNeeds(self.required | other.required, self.optional | other.optional)

    @property
    def collections(self) -> dict[str, bool]:
        """Collection name -> required?, for every collection named (directly or by a field)."""
        out: dict[str, bool] = {}
        for key in sorted(self.optional | self.required):
            name = key.split(".", 1)[0]
            if name != TRIGGER:
                out[name] = out.get(name, False) or key in self.required
        return out

    def fields(self, collection: str) -> tuple[str, ...]:
        """Fields of ``collection`` named beyond its kinematics (all required)."""
        return tuple(sorted(k.split(".", 1)[1] for k in self.required if k.startswith(collection + ".")))

    @property
    def triggers(self) -> tuple[str, ...]:
        return self.fields(TRIGGER)

    def to_json(self) -> str:
        return json.dumps({"required": sorted(self.required), "optional": sorted(self.optional)})

    @classmethod
    def from_json(cls, text: str, source: str = "--needs") -> RecordNeeds:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or set(data) - {"required", "optional"}:
            raise ConfigError(f"{source}: expected {{\"required\": [...], \"optional\": [...]}}, got {text!r}")
        lists = {k: data.get(k, []) for k in ("required", "optional")}
        for key, value in lists.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: '{key}' must be a list of record keys")
        try:
            return cls(frozenset(lists["required"]), frozenset(lists["optional"]))
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None


def check_key(key: str) -> None:
    name, _, field = key.partition(".")
    if name == TRIGGER and field:
        return
    if name not in COLLECTIONS or (name in ("MET", "GenPart") and field):
        raise ConfigError(f"unknown record key '{key}' (known: {', '.join(COLLECTIONS)}, Collection.field, HLT.<path>)")


# Everything the record can hold, read without a selection (``evenet ingest`` without --needs).
FULL_RECORD = RecordNeeds(frozenset({"Electron", "Muon", "Jet", "MET"}), frozenset({"Tau", "Photon", "GenPart"}))
