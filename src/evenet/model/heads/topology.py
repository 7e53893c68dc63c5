"""Resonance topology: which resonances an event holds, their decay products and symmetries.

Maps the ``assignment`` block of an analysis YAML, e.g. semileptonic ttbar::

    resonances:
      t1: {products: [b, q1, q2], symmetric: [[q1, q2]]}
      t2: {products: [b, l], symmetric: []}

or H -> a a -> 4b, where the two a's may be swapped::

    resonances:
      a1: {products: [b1, b2], symmetric: [[b1, b2]]}
      a2: {products: [b1, b2], symmetric: [[b1, b2]]}
    identical: [[a1, a2]]

Each ``symmetric`` entry is a set of products that may be permuted freely among
themselves (the full symmetric group on that set); each ``identical`` entry is a
set of resonances that may be permuted freely (they must have the same decay
structure; product k of one maps to product k of the other). Optional per
resonance: ``properties`` (a list of numbers such as mass/100 GeV that condition
the shared head) and ``segment_class`` (the segmentation label, >= 1).

Targets follow the SPANet layout ``TARGETS/<resonance>/<product>``: per resonance a
LongTensor[B, n_products] of point-cloud slot indices, -1 where the product was
not reconstructed. A resonance is fully reconstructable when all its products
are >= 0.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evenet.errors import ConfigError

Permutation = tuple[int, ...]


def symmetric_group_on_sets(size: int, sets: Sequence[Sequence[int]]) -> list[Permutation]:
    """All permutations of ``range(size)`` that permute each set freely and fix the rest.

    The identity comes first. ``perm[i]`` is the image of position ``i``.
    """
    per_set = [list(itertools.permutations(s)) for s in sets]
    group = []
    for images in itertools.product(*per_set):
        perm = list(range(size))
        for source, image in zip(sets, images):
            for i, j in zip(source, image):
                perm[i] = j
        group.append(tuple(perm))
    return group



def _disjoint_groups(groups, known: Sequence[str], key: str, what: str) -> list[Sequence[str]]:
    """Config groups of interchangeable names: each lists >= 2 known names, no name in two groups."""
    seen: set[str] = set()
    for group in groups or []:
        if not isinstance(group, Sequence) or isinstance(group, str) or len(group) < 2:
            raise ConfigError(f"{key}: each entry must list at least two {what}s")
        for name in group:
            if name not in known:
                raise ConfigError(f"{key}: unknown {what} {name!r}")
            if name in seen:
                raise ConfigError(f"{key}: {what} {name!r} appears in two groups")
            seen.add(name)
    return list(groups or [])

@dataclass(frozen=True)
class Resonance:
    name: str
    products: tuple[str, ...]
    symmetric: tuple[tuple[int, ...], ...]
    properties: tuple[float, ...] = ()
    segment_class: int | None = None

    @property
    def degree(self) -> int:
        return len(self.products)

    @property
    def structure(self) -> tuple[int, tuple[tuple[int, ...], ...]]:
        """Decay structure: resonances with equal structure share one assignment head."""
        return self.degree, self.symmetric

    @property
    def structure_name(self) -> str:
        sym = "_".join("".join(str(i) for i in s) for s in self.symmetric)
        return f"degree{self.degree}" + (f"_sym{sym}" if sym else "")

    def product_permutations(self) -> list[Permutation]:
        """The permutation group of the decay products (identity first)."""
        return symmetric_group_on_sets(self.degree, self.symmetric)


@dataclass(frozen=True)
class ResonanceTopology:
    resonances: tuple[Resonance, ...]
    identical: tuple[tuple[int, ...], ...] = ()

    @classmethod
    def from_config(cls, config: Mapping, key: str = "assignment") -> "ResonanceTopology":
        """Build from the YAML mapping; ``key`` names the block in error messages."""
        if isinstance(config, ResonanceTopology):
            return config
        if not isinstance(config, Mapping) or not isinstance(config.get("resonances"), Mapping) \
                or not config["resonances"]:
            raise ConfigError(f"{key}.resonances: expected a non-empty mapping of resonance -> spec")
        resonances = [
            _parse_resonance(name, spec, f"{key}.resonances.{name}")
            for name, spec in config["resonances"].items()
        ]
        names = [r.name for r in resonances]
        identical = []
        for group in _disjoint_groups(config.get("identical"), names, f"{key}.identical", "resonance"):
            indices = tuple(names.index(n) for n in group)
            if len({resonances[i].structure for i in indices}) != 1:
                raise ConfigError(
                    f"{key}.identical: {list(group)} must have the same products and symmetries to be swapped"
                )
            identical.append(indices)
        n_properties = {len(r.properties) for r in resonances}
        if len(n_properties) != 1:
            raise ConfigError(f"{key}.resonances: every resonance needs the same number of properties")
        return cls(tuple(resonances), tuple(identical))

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.resonances]

    @property
    def num_properties(self) -> int:
        return len(self.resonances[0].properties)

    def structures(self) -> dict[str, list[int]]:
        """Structure name -> indices of the resonances that share that head."""
        out: dict[str, list[int]] = {}
        for i, r in enumerate(self.resonances):
            out.setdefault(r.structure_name, []).append(i)
        return out

    def identical_groups(self) -> list[tuple[int, ...]]:
        """A partition of the resonances: the declared identical groups, then singletons."""
        grouped = {i for g in self.identical for i in g}
        return list(self.identical) + [(i,) for i in range(len(self.resonances)) if i not in grouped]

    def event_permutations(self) -> list[Permutation]:
        """The group of resonance swaps allowed by ``identical`` (identity first)."""
        return symmetric_group_on_sets(len(self.resonances), self.identical)

    def segment_classes(self) -> list[int]:
        """Segmentation label per resonance: explicit ``segment_class`` or 1 + index of its identical group."""
        group_of = {i: g for g, members in enumerate(self.identical_groups()) for i in members}
        return [
            r.segment_class if r.segment_class is not None else 1 + group_of[i]
            for i, r in enumerate(self.resonances)
        ]


def _parse_resonance(name: str, spec, key: str) -> Resonance:
    if not isinstance(spec, Mapping) or "products" not in spec:
        raise ConfigError(f"{key}: expected a mapping with 'products'")
    products = spec["products"]
    if not isinstance(products, Sequence) or isinstance(products, str) or not products:
        raise ConfigError(f"{key}.products: expected a non-empty list of product names")
    products = tuple(str(p) for p in products)
    if len(set(products)) != len(products):
        raise ConfigError(f"{key}.products: product names must be distinct")
    symmetric = [
        tuple(sorted(products.index(p) for p in group))
        for group in _disjoint_groups(spec.get("symmetric"), products, f"{key}.symmetric", "product")
    ]
    properties = spec.get("properties") or ()
    try:
        properties = tuple(float(x) for x in properties)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}.properties: expected a list of numbers") from None
    segment_class = spec.get("segment_class")
    if segment_class is not None and (not isinstance(segment_class, int) or segment_class < 1):
        raise ConfigError(f"{key}.segment_class: expected an integer >= 1 (0 is 'no object')")
    return Resonance(name, products, tuple(sorted(symmetric)), properties, segment_class)
