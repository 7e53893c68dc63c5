"""Import a state dict of the released EveNet network (evenet-core 0.3.0 layout).

Key names are translated to this package's modules; the mathematics of the
two networks is the same (tests/compat checks it to 1e-4). What the released
state dict does not hold is kept from the model: the feature transforms
(log1p, uniform -> Gaussian), which evenet-core applies in its preprocessing;
set them through the normalisation artifact before importing.

Parameters that evenet-core creates but never uses (the gate of an ungated
block, the time-only projection of a conditioned event-level head) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
from torch import Tensor

from evenet.errors import ConfigError

# Applied in order to every key; each is (pattern, replacement).
_RENAMES: list[tuple[str, str]] = [
    # normalisation buffers
    (r"^sequential_normalizer\.", "source_norm."),
    (r"^global_normalizer\.", "global_norm."),
    (r"^num_point_cloud_normalizer\.", "multiplicity_norm."),
    (r"^invisible_normalizer\.", "invisible_norm."),
    # body
    (r"^GlobalEmbedding\.embedding_stack\.embedding_layers\.", "global_embedding.layers."),
    (r"^PET\.feature_embedding\.", "body.embed."),
    (r"^PET\.time_embedding\.", "body.time_embed."),
    (r"^PET\.time_embed_linear\.", "body.time_film."),
    (r"^PET\.local_embedding\.local_embed_layer\.", "body.local.blocks."),
    (r"^PET\.transformer_blocks\.", "body.blocks."),
    (r"^PET\.adapters\.", "body.adapters."),
    (r"^ObjectEncoder\.particle_vector$", "object_encoder.event_token"),
    (r"^ObjectEncoder\.combined_embedding\.first_position_embedding\.position_embedding$", "object_encoder.object_type"),
    (r"^ObjectEncoder\.combined_embedding\.second_position_embedding\.position_embedding$", "object_encoder.global_type"),
    (r"^ObjectEncoder\.combined_embedding\.final_embedding\.", "object_encoder.merge."),
    (r"^ObjectEncoder\.embedding\.", "object_encoder.refine."),
    (r"^ObjectEncoder\.encoder\.layers\.(\d+)\.attention_norm\.", r"object_encoder.layers.\1.norm."),
    (r"^ObjectEncoder\.encoder\.layers\.(\d+)\.attention_gate\.", r"object_encoder.layers.\1.gate."),
    (r"^ObjectEncoder\.encoder\.layers\.(\d+)\.attention\.", r"object_encoder.layers.\1.attn."),
    (r"^ObjectEncoder\.encoder\.layers\.(\d+)\.feed_forward\.", r"object_encoder.layers.\1.ffn."),
    (r"^ObjectEncoder\.encoder\.norm\.", "object_encoder.post_norm."),
    (r"^ObjectEncoder\.encoder\.mlp\.", "object_encoder.post_mlp."),
    # classification head (one class-label network)
    (r"^Classification\.class_transformer\.norm1\.", "heads.classification.attn_norm."),
    (r"^Classification\.class_transformer\.norm2\.", "heads.classification.update_norm."),
    (r"^Classification\.class_transformer\.norm3\.", "heads.classification.mlp_norm."),
    (r"^Classification\.class_transformer\.", "heads.classification."),
    (r"^Classification\.networks\.[^.]+\.hidden_layers\.", "heads.classification.blocks."),
    (r"^Classification\.networks\.[^.]+\.bridge\.", "heads.classification.project."),
    (r"^Classification\.networks\.[^.]+\.output_norm\.", "heads.classification.batch_norm."),
    (r"^Classification\.networks\.[^.]+\.output_layer\.", "heads.classification.output."),
    # event-level generation head
    (r"^GlobalGeneration\.fourier_projection\.", "heads.global_generation.time_embed."),
    (r"^GlobalGeneration\.dense_t\.0\.", "heads.global_generation.time_only."),
    (r"^GlobalGeneration\.global_cond_embedding\.", "heads.global_generation.cond_embed."),
    (r"^GlobalGeneration\.label_embedding\.0\.", "heads.global_generation.label_embed."),
    (r"^GlobalGeneration\.cond_token_embedding\.", "heads.global_generation.cond_mlp."),
    (r"^GlobalGeneration\.dense_layer\.", "heads.global_generation.input_embed."),
    (r"^GlobalGeneration\.resnet_layers\.(\d+)\.1\.residual_layer\.", r"heads.global_generation.blocks.\1.1.residual."),
    (r"^GlobalGeneration\.resnet_layers\.(\d+)\.1\.hidden_layers\.", r"heads.global_generation.blocks.\1.1.layers."),
    (r"^GlobalGeneration\.resnet_layers\.(\d+)\.1\.layer_scale\.", r"heads.global_generation.blocks.\1.1.scale."),
    (r"^GlobalGeneration\.resnet_layers\.", "heads.global_generation.blocks."),
    (r"^GlobalGeneration\.out_layer_norm\.", "heads.global_generation.out_norm."),
    (r"^GlobalGeneration\.out\.", "heads.global_generation.output."),
    # point-cloud and neutrino generation heads
    (r"^ReconGeneration\.", "heads.point_cloud_generation."),
    (r"^TruthGeneration\.", "heads.neutrino_generation."),
    (r"generation\.time_embedding\.", "generation.time_embed."),
    (r"generation\.num_point_cloud_embedding\.", "generation.count_embed."),
    (r"generation\.position_encoder\.position_embedding\.", "generation.position."),
    (r"generation\.bridge_point_cloud\.", "generation.token_bridge."),
    (r"generation\.bridge_global_cond\.", "generation.global_bridge."),
    (r"generation\.cond_token\.", "generation.cond_mlp."),
    (r"generation\.label_dense\.", "generation.label_embed."),
    (r"generation\.gen_transformer_blocks\.(\d+)\.norm3\.", r"generation.blocks.\1.norm2."),
    (r"generation\.gen_transformer_blocks\.", "generation.blocks."),
    (r"generation\.generator\.", "generation.output."),
    # generic pieces: Fourier MLP, gated MLP block, GRU gate, attention, LayerScale
    (r"\.dense1\.", ".fc1."),
    (r"\.dense2\.", ".fc2."),
    (r"\.normalization\.normalization\.", ".norm."),
    (r"\.linear_1\.0\.", ".fc1."),
    (r"\.linear_2\.0\.", ".fc2."),
    (r"\.gru\.", ".gate."),
    (r"\.linear_([WU])_([rzg])\.", lambda m: f".{m.group(1).lower()}_{m.group(2)}."),
    (r"\.in_proj_weight$", ".in_proj.weight"),
    (r"\.in_proj_bias$", ".in_proj.bias"),
    (r"\.layer_scale([12])\.", r".scale\1."),
]

# Translated keys that evenet-core creates but never uses in its forward pass.
_UNUSED = [
    r"_norm\.norm_mask$",
    r"^object_encoder\.merge\.gate\.",
    r"^heads\.global_generation\.time_only\.",
]


def translate_key(key: str) -> str:
    for pattern, replacement in _RENAMES:
        key = re.sub(pattern, replacement, key)
    return key


def _fit(name: str, value: Tensor, target: Tensor) -> Tensor:
    if name.endswith("_norm.mean") or name.endswith("_norm.std"):
        value = value.reshape(-1)[: target.numel()]  # invisible statistics are zero-padded to 7 features
    if value.numel() == target.numel() and value.shape != target.shape:
        value = value.reshape(target.shape)
    if value.shape != target.shape:
        raise ConfigError(f"evenet-core key for {name}: shape {tuple(value.shape)}, expected {tuple(target.shape)}")
    return value.to(target.dtype)


def convert_evenet_core_state_dict(core: Mapping[str, Tensor], model: torch.nn.Module) -> tuple[dict, list[str]]:
    """evenet-core state dict -> full state dict for ``model``, and the model keys it did not provide."""
    state = model.state_dict()
    provided: set[str] = set()
    for key, value in core.items():
        name = translate_key(key)
        if name in state:
            state[name] = _fit(name, value, state[name])
            provided.add(name)
        elif not any(re.search(p, name) for p in _UNUSED):
            raise ConfigError(f"evenet-core key {key!r} has no counterpart in this model (as {name!r})")
    return state, sorted(set(state) - provided)


# Model buffers that evenet-core checkpoints do not carry.
_OWN_BUFFERS = (r"\.log1p$", r"\.uniform$", r"^generated_features$", r"^generation_globals$", r"\.class_weights$")
# Our zero-initialised parameters (the identity) that the released network does not have.
_OWN_PARAMETERS = (r"\.body_film\.",)


def load_evenet_core_state_dict(model: torch.nn.Module, core: Mapping[str, Tensor]) -> None:
    """Load released weights into ``model``; every parameter of the model must be provided."""
    state, missing = convert_evenet_core_state_dict(core, model)
    missing = [k for k in missing if not any(re.search(p, k) for p in _OWN_BUFFERS + _OWN_PARAMETERS)]
    if missing:
        raise ConfigError(f"evenet-core state dict lacks {len(missing)} model entries, e.g. {missing[0]!r}")
    model.load_state_dict(state)
