"""Model configuration and the named presets (tiny, lite, standard).

``lite`` is the released EveNet 20M network (evenet-core's
``share/pretrain-config/network-20M.yaml`` in the EveNet repository);
``standard`` follows its ``network-100M.yaml`` (hidden width 512, 20 PET layers),
with two decoder layers per generation head (about 83M encoder + 17M decoder).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from evenet.errors import ConfigError

SOURCE_FEATURES = ("energy", "pt", "eta", "phi", "btag", "isLepton", "charge")
GLOBAL_FEATURES = ("met", "met_phi", "nLepton", "nbJet", "nJet", "HT", "HT_lep", "M_all", "M_leps", "M_bjets")
MAX_OBJECTS = 18


@dataclass(frozen=True)
class BodyConfig:
    """PET body and global embedding."""

    dim: int = 256
    layers: int = 16
    heads: int = 16
    local_layers: int = 10
    knn: int = 3
    knn_features: tuple[int, ...] = (2, 3)  # (eta, phi): neighbourhoods of the first local layer
    feature_drop: float = 0.1
    feature_drop_keep: int = 0
    drop_path: float = 0.1
    layer_scale_init: float = 1e-5
    dropout: float = 0.1
    adapter_bottleneck: int = 0  # 0: no adapters
    global_initial_dim: int = 16
    global_layers: int = 8
    global_hidden_scale: float = 2.0


@dataclass(frozen=True)
class EncoderConfig:
    """Object encoder (gated transformer over objects + globals + event token)."""

    position_dim: int = 32
    heads: int = 8
    embedding_layers: int = 2
    layers: int = 2
    hidden_scale: float = 2.0
    dropout: float = 0.1


@dataclass(frozen=True)
class GenerationConfig:
    """Point-cloud / invisible-particle generation head (a small transformer decoder)."""

    dim: int = 256
    layers: int = 1
    heads: int = 4
    dropout: float = 0.1
    layer_scale_init: float = 1e-5
    max_positions: int = 36


@dataclass(frozen=True)
class ClassificationConfig:
    dim: int = 256
    heads: int = 8
    layers: int = 1
    dropout: float = 0.1


@dataclass(frozen=True)
class GlobalGenerationConfig:
    """Event-level diffusion (multiplicity and chosen globals)."""

    dim: int = 64
    resnet_dim: int = 64
    layers: int = 1
    resnet_layers: int = 1
    layer_scale_init: float = 1e-5
    dropout: float = 0.0


@dataclass(frozen=True)
class ModelConfig:
    body: BodyConfig = field(default_factory=BodyConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    classification: ClassificationConfig = field(default_factory=ClassificationConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    global_generation: GlobalGenerationConfig = field(default_factory=GlobalGenerationConfig)

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(
        body=BodyConfig(dim=32, layers=2, heads=4, local_layers=2, global_layers=2, global_initial_dim=8),
        encoder=EncoderConfig(position_dim=8, heads=4, embedding_layers=1, layers=1),
        classification=ClassificationConfig(dim=32, heads=4),
        generation=GenerationConfig(dim=32, heads=4),
        global_generation=GlobalGenerationConfig(dim=32, resnet_dim=32, layers=2),
    ),
    "lite": ModelConfig(),
    "standard": ModelConfig(
        body=BodyConfig(dim=512, layers=20, heads=32, global_layers=10),
        encoder=EncoderConfig(heads=16),
        classification=ClassificationConfig(dim=512, heads=16),
        generation=GenerationConfig(dim=512, heads=8, layers=2),
    ),
}


def preset(name: str, **overrides) -> ModelConfig:
    """The named preset, with optional top-level section overrides (dicts of field values)."""
    if name not in PRESETS:
        raise ConfigError(f"model preset {name!r} is unknown (choose from {', '.join(PRESETS)})")
    config = PRESETS[name]
    for section, values in overrides.items():
        if not hasattr(config, section):
            raise ConfigError(f"model config has no section {section!r}")
        try:
            config = replace(config, **{section: replace(getattr(config, section), **values)})
        except TypeError as err:
            raise ConfigError(f"model config section {section!r}: {err}") from None
    return config
