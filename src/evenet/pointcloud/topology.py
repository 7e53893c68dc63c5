"""The stream's assignment topology, stated once and carried in its point-cloud files.

A stream's ``truth`` block in the pipeline config names its resonances, their decay
products and their permutation symmetries::

    truth:
      resonances:
        a1: {pdgId: 36, products: {b1: [b], b2: [b]}, symmetric: [[b1, b2]]}
        a2: {pdgId: 36, products: {b1: [b], b2: [b]}, symmetric: [[b1, b2]]}
      identical: [[a1, a2]]

``evenet build`` writes the assignment head's view of it (product names in order,
``symmetric`` product sets, ``identical`` resonance sets; the mapping of
:mod:`evenet.model.heads.topology`) as the JSON file attribute ``topology``, and a
training run whose assignment head states no topology takes it from there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from evenet.errors import ConfigError
from evenet.model.heads.topology import ResonanceTopology

ATTRIBUTE = "topology"


def assignment_topology(truth: Mapping, key: str = "truth") -> dict | None:
    """The ``truth`` block of a stream -> the assignment topology mapping (None without resonances).

    Raises ConfigError naming ``key`` when a symmetry names an unknown product or
    resonance, or identical resonances differ in their decay structure.
    """
    resonances = (truth or {}).get("resonances") or {}
    if not resonances:
        if (truth or {}).get("identical"):
            raise ConfigError(f"{key}.identical: no resonances to declare identical")
        return None
    topology: dict = {"resonances": {}}
    for name, spec in resonances.items():
        products = spec.get("products") if isinstance(spec, Mapping) else None
        if not isinstance(products, Mapping) or not products:
            raise ConfigError(f"{key}.resonances.{name}.products: expected a mapping of product -> decay path")
        topology["resonances"][name] = {
            "products": list(products),
            "symmetric": [list(group) for group in spec.get("symmetric") or []],
        }
    identical = (truth or {}).get("identical") or []
    if identical:
        topology["identical"] = [list(group) for group in identical]
    ResonanceTopology.from_config(topology, key=key)
    return topology


def from_attribute(value, where: str) -> dict | None:
    """The ``topology`` attribute value of a file (None when absent)."""
    if value is None:
        return None
    try:
        topology = json.loads(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: attribute {ATTRIBUTE!r} is not JSON") from None
    ResonanceTopology.from_config(topology, key=f"{where}: {ATTRIBUTE}")
    return topology


def products(topology: Mapping) -> list[tuple[str, str]]:
    """(resonance, product) pairs of a topology mapping, in order."""
    return [(name, product) for name, spec in topology["resonances"].items() for product in spec["products"]]
