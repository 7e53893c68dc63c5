"""The full EveNet network: normalisation, PET body, object encoder, heads by name.

Inputs of :meth:`EveNet.forward` (a dict, physical units, padding zero):

* ``source`` float (B, N, 7), ``source_mask`` bool (B, N), ``globals`` float (B, 10);
* optional ``invisible`` float (B, M, F_inv) + ``invisible_mask`` bool (B, M) (neutrinos);
* optional ``label`` long (B,): the event's process class; a generation head built with
  ``num_labels`` > 1 is conditioned on it (one-hot embedding), one with ``num_labels`` = 1
  (the default) ignores it. Training feeds ``CLASSIFICATIONS/EVENT/process``.

Passes run in one forward, as the heads configured need them:

* clean pass (t = 0) -> object encoder -> deterministic heads (classification,
  assignment, segmentation);
* noised pass: objects noised at time t with probability ``noise_prob`` each,
  clean objects blind to noised ones -> point-cloud denoiser, and the
  classification head again (``logits_noised``, weighted by alpha(t)^2, Eq. 1;
  ``heads.classification.noised: false`` leaves this term out);
* neutrino pass: noised invisible tokens appended to the clean event, visible
  objects blind to them -> neutrino denoiser;
* event-level diffusion of (multiplicity, chosen globals).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.errors import ConfigError
from evenet.model import head_registry
from evenet.model.config import GLOBAL_FEATURES, SOURCE_FEATURES, ModelConfig, preset
from evenet.model.diffusion import add_noise, alpha_sigma
from evenet.model.encoder import GlobalEmbedding, ObjectEncoder
from evenet.model.heads.classification import ClassificationHead
from evenet.model.heads.generation import GlobalDenoiser, PointCloudDenoiser
from evenet.model.normalization import FeatureNormalizer, apply_statistics
from evenet.model.pet import PETBody

# A body pass: (features (B, N, F), mask (B, N), object time (B, N) or None, allowed or None,
# per-event FiLM condition (B, 2D) or None), as PETBody takes them.
BodyInputs = tuple[Tensor, Tensor, Tensor | None, Tensor | None, Tensor | None]
# Body passes are stacked into one call up to this many object slots x body width (EveNet._bodies):
# the lite preset's three passes at batch 64 (3584 slots x 256), not at 128.
STACK_LIMIT = 2**20


def _num_labels(options: Mapping, name: str) -> int:
    """Process classes a generation head is conditioned on (1: unconditioned)."""
    value = options.get("num_labels", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"heads.{name}.num_labels must be an integer >= 1, got {value!r}")
    return value


def _indices(names, known, key: str) -> list[int]:
    out = []
    for name in names:
        if name not in known:
            raise ConfigError(f"{key}: unknown feature {name!r} (known: {', '.join(known)})")
        out.append(known.index(name))
    return out


class EveNet(nn.Module):
    def __init__(self, config: ModelConfig, heads: Mapping[str, Mapping | None], statistics: dict | None = None):
        super().__init__()
        head_registry.check_heads(heads)
        self.config = config
        self.head_options = {name: dict(options or {}) for name, options in heads.items()}
        dim = config.body.dim
        n_source, n_globals = len(SOURCE_FEATURES), len(GLOBAL_FEATURES)
        self.source_norm = FeatureNormalizer(n_source)
        self.global_norm = FeatureNormalizer(n_globals)
        self.multiplicity_norm = FeatureNormalizer(1)
        self.global_embedding = GlobalEmbedding(n_globals, config.body)
        self.body = PETBody(n_source, config.body)
        self.object_encoder = ObjectEncoder(dim, config.encoder)
        self.heads = nn.ModuleDict()
        self.classify_noised = False
        # Features the point-cloud denoiser generates, and globals visible to the noised pass.
        self.register_buffer("generated_features", torch.ones(n_source, dtype=torch.bool))
        self.register_buffer("generation_globals", torch.ones(n_globals, dtype=torch.bool))

        for name in heads:
            if name in head_registry.DETERMINISTIC_HEADS and name != "classification":
                self.heads[name] = head_registry.head_class(name)(hidden_dim=dim, **self.head_options[name])
        if "classification" in heads:
            options = dict(self.head_options["classification"])
            # noised: false drops the noise-perturbed term of Eq. 1 (plain clean cross entropy).
            self.classify_noised = bool(options.pop("noised", True))
            self.heads["classification"] = ClassificationHead(dim, config=config.classification, **options)
        if "point_cloud_generation" in heads:
            options = self.head_options["point_cloud_generation"]
            self.generated_features.zero_()
            self.generated_features[_indices(options.get("generated_features", SOURCE_FEATURES), SOURCE_FEATURES,
                                             "heads.point_cloud_generation.generated_features")] = True
            self.generation_globals.zero_()
            self.generation_globals[_indices(options.get("condition_globals", GLOBAL_FEATURES), GLOBAL_FEATURES,
                                             "heads.point_cloud_generation.condition_globals")] = True
            self.heads["point_cloud_generation"] = PointCloudDenoiser(
                dim, dim, n_source, _num_labels(options, "point_cloud_generation"), config.generation,
                body_conditions=n_globals,
            )
        if "neutrino_generation" in heads:
            options = self.head_options["neutrino_generation"]
            self.num_invisible_features = int(options.get("num_features", 4))
            if not 0 < self.num_invisible_features <= n_source:
                raise ConfigError(f"heads.neutrino_generation.num_features must be in 1..{n_source}")
            self.invisible_norm = FeatureNormalizer(self.num_invisible_features)
            self.heads["neutrino_generation"] = PointCloudDenoiser(
                dim, dim, n_source, _num_labels(options, "neutrino_generation"), config.generation, positions=True
            )
        if "global_generation" in heads:
            options = self.head_options["global_generation"]
            self.global_targets = _indices(options.get("targets", []), GLOBAL_FEATURES, "heads.global_generation.targets")
            conditions = _indices(options.get("conditions", []), GLOBAL_FEATURES, "heads.global_generation.conditions")
            self.heads["global_generation"] = GlobalDenoiser(
                1 + len(self.global_targets), conditions, _num_labels(options, "global_generation"),
                config.global_generation,
            )
        if statistics is not None:
            self.set_normalization(statistics)

    # ------------------------------------------------------------------ inputs
    def set_normalization(self, statistics: dict) -> None:
        """Copy the normalisation artifact (see evenet.model.normalization) into the buffers."""
        apply_statistics(self.source_norm, statistics, "source")
        apply_statistics(self.global_norm, statistics, "globals")
        if "multiplicity" in statistics:
            apply_statistics(self.multiplicity_norm, statistics, "multiplicity")
        if hasattr(self, "invisible_norm"):
            apply_statistics(self.invisible_norm, statistics, "invisible")

    def normalize(self, batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Physical-unit batch -> normalised tensors (padding zero) used by every pass."""
        mask = batch["source_mask"].bool()
        out = {
            "source": self.source_norm(batch["source"].float(), mask),
            "mask": mask,
            "globals": self.global_norm(batch["globals"].float()),
            "count": self.multiplicity_norm(mask.sum(dim=1, keepdim=True).float())[:, 0],
            "label": batch.get("label", torch.zeros(mask.shape[0], dtype=torch.long, device=mask.device)).long(),
        }
        if "parameters" in batch:
            out["parameters"] = batch["parameters"].float()
        if hasattr(self, "invisible_norm") and "invisible" in batch:
            inv_mask = batch["invisible_mask"].bool()
            out["invisible"] = self.invisible_norm(batch["invisible"].float(), inv_mask)
            out["invisible_mask"] = inv_mask
        return out

    # ------------------------------------------------------------------ passes
    def encode(self, source: Tensor, mask: Tensor, globals_: Tensor) -> tuple[Tensor, Tensor]:
        """Clean pass on normalised inputs -> (object tokens (B, N, D), event token (B, D))."""
        return self._encode_body_tokens(self.body(source, mask), mask, globals_)

    def _encode_body_tokens(self, tokens: Tensor, mask: Tensor, globals_: Tensor) -> tuple[Tensor, Tensor]:
        """Object encoder on a clean pass's body tokens, with the event globals' token."""
        return self.object_encoder(tokens, mask, self.global_embedding(globals_))

    def _inpainting_inputs(self, x_t: Tensor, t: Tensor, norm: Mapping[str, Tensor], noise_mask: Tensor,
                           clean_blind: bool) -> BodyInputs:
        """Body inputs of the noised pass: objects flagged in ``noise_mask`` replaced by ``x_t``."""
        mask = norm["mask"]
        mixed = torch.where(noise_mask.unsqueeze(-1), x_t * self.generated_features, norm["source"])
        allowed = None
        if clean_blind:
            # Clean objects may not look at noised objects (nor padding); noised ones see all.
            hidden = noise_mask | ~mask
            allowed = ~(~hidden[:, :, None] & hidden[:, None, :])
        object_time = t.unsqueeze(1) * noise_mask.to(t.dtype)
        # The generation conditions modulate the body too: the objects interact there.
        condition = (self.heads["point_cloud_generation"].body_condition(norm["globals"] * self.generation_globals)
                     if "point_cloud_generation" in self.heads else None)
        return mixed, mask, object_time, allowed, condition

    def _noised_global_token(self, norm: Mapping[str, Tensor]) -> Tensor:
        return self.global_embedding(norm["globals"] * self.generation_globals)

    def _point_cloud_head(self, tokens: Tensor, global_token: Tensor, t: Tensor, norm: Mapping[str, Tensor],
                          noise_mask: Tensor, allowed: Tensor | None) -> Tensor:
        return self.heads["point_cloud_generation"](
            tokens, norm["mask"], global_token, t, norm["label"], noised=noise_mask, count=norm["count"],
            allowed=allowed,
        )

    def point_cloud_velocity(self, x_t: Tensor, t: Tensor, norm: Mapping[str, Tensor], noise_mask: Tensor,
                             clean_blind: bool = True) -> Tensor:
        """v-prediction for the objects flagged in ``noise_mask`` (B, N) given the clean rest;
        ``x_t`` (B, N, 7) normalised noised objects. Zero outside ``noise_mask``."""
        inputs = self._inpainting_inputs(x_t, t, norm, noise_mask, clean_blind)
        v = self._point_cloud_head(self.body(*inputs), self._noised_global_token(norm), t, norm, noise_mask,
                                   inputs[3])
        return v * self.generated_features * noise_mask.unsqueeze(-1)

    def _invisible_inputs(self, x_t: Tensor, t: Tensor, norm: Mapping[str, Tensor],
                          invisible_mask: Tensor) -> BodyInputs:
        """Body inputs of the neutrino pass: noised invisible particles appended to the clean event."""
        mask = norm["mask"]
        n, m = mask.shape[1], invisible_mask.shape[1]
        padded = nn.functional.pad(x_t, (0, len(SOURCE_FEATURES) - x_t.shape[-1]))
        tokens_in = torch.cat([norm["source"], padded], dim=1)
        full_mask = torch.cat([mask, invisible_mask], dim=1)
        is_invisible = torch.arange(n + m, device=mask.device) >= n
        allowed = ~(~is_invisible[:, None] & is_invisible[None, :])  # visible objects blind to neutrinos
        object_time = t.unsqueeze(1) * torch.cat([torch.zeros_like(mask), invisible_mask], dim=1).to(t.dtype)
        return tokens_in, full_mask, object_time, allowed, None

    def _invisible_head(self, tokens: Tensor, t: Tensor, norm: Mapping[str, Tensor], invisible_mask: Tensor,
                        inputs: BodyInputs, num_features: int) -> Tensor:
        """Neutrino head on the body tokens of the pass whose ``_invisible_inputs`` are ``inputs``."""
        _, full_mask, _, allowed, _ = inputs
        mask = norm["mask"]
        n = mask.shape[1]
        noised = torch.cat([torch.zeros_like(mask), invisible_mask], dim=1)
        global_token = self.global_embedding(norm["globals"])
        v = self.heads["neutrino_generation"](
            tokens, full_mask, global_token, t, norm["label"], noised=noised, allowed=allowed,
        )
        return v[:, n:, :num_features] * invisible_mask.unsqueeze(-1)

    def invisible_velocity(self, x_t: Tensor, t: Tensor, norm: Mapping[str, Tensor], invisible_mask: Tensor) -> Tensor:
        """v-prediction for noised invisible particles ``x_t`` (B, M, F_inv) appended to the clean event."""
        inputs = self._invisible_inputs(x_t, t, norm, invisible_mask)
        return self._invisible_head(self.body(*inputs), t, norm, invisible_mask, inputs, x_t.shape[-1])

    def _bodies(self, passes: list[BodyInputs]) -> list[Tensor]:
        """PET body outputs of several passes from one call on the passes' events stacked (each event
        keeps its mask, object times, attention restriction and condition; shorter passes padded to the
        longest, which changes nothing on valid objects with at least 2k+1 slots, as the data's 18).
        Clean events get object time 0 and a zero condition, whose FiLMs are exactly the identity.
        Stacked only while the passes hold at most ``STACK_LIMIT`` object slots x body width: on
        small operations one call on 3B events costs less than three on B (fewer operations; lite,
        CPU, B = 64: 6 % less time per step), on large ones more (B = 256: 7 % more)."""
        slots = sum(inputs[1].numel() for inputs in passes)
        if len(passes) == 1 or slots * self.config.body.dim > STACK_LIMIT:
            return [self.body(*inputs) for inputs in passes]
        n = max(inputs[1].shape[1] for inputs in passes)
        conditioned = any(inputs[4] is not None for inputs in passes)
        stacked: list[list[Tensor]] = [[], [], [], [], []]
        for features, mask, object_time, allowed, condition in passes:
            b, k = mask.shape
            if object_time is None:
                object_time = features.new_zeros(b, k)
            if allowed is None:
                allowed = torch.ones(k, k, dtype=torch.bool, device=mask.device)
            stacked[0].append(F.pad(features, (0, 0, 0, n - k)))
            stacked[1].append(F.pad(mask, (0, n - k)))
            stacked[2].append(F.pad(object_time, (0, n - k)))
            stacked[3].append(F.pad(allowed.expand(b, k, k), (0, n - k, 0, n - k), value=True))
            if conditioned:
                stacked[4].append(features.new_zeros(b, 2 * self.config.body.dim) if condition is None else condition)
        tokens = self.body(*(torch.cat(part) if part else None for part in stacked))
        out, start = [], 0
        for inputs in passes:
            b, k = inputs[1].shape
            out.append(tokens[start : start + b, :k])
            start += b
        return out

    def global_targets_of(self, norm: Mapping[str, Tensor]) -> Tensor:
        """(B, 1 + T): normalised multiplicity then the chosen normalised globals."""
        return torch.cat([norm["count"].unsqueeze(1), norm["globals"][:, self.global_targets]], dim=1)

    def globals_velocity(self, x_t: Tensor, t: Tensor, norm: Mapping[str, Tensor]) -> Tensor:
        return self.heads["global_generation"](x_t, t, norm["globals"], norm["label"])

    def _deterministic(self, name: str, tokens: Tensor, mask: Tensor, event: Tensor,
                       norm: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """One deterministic head's outputs; a parameterised classifier also reads the event's parameters."""
        if name == "classification" and self.heads[name].num_parameters:
            return dict(self.heads[name](tokens, mask, event, norm.get("parameters")))
        return dict(self.heads[name](tokens, mask, event))

    # ------------------------------------------------------------------ training
    def forward(self, batch: Mapping[str, Tensor], time: Tensor | None = None, noise_prob: float = 1.0,
                clean_blind: bool = True) -> dict[str, dict[str, Tensor]]:
        """Outputs per head (see module doc). ``time`` (B,) in [0, 1], drawn uniformly if None."""
        norm = self.normalize(batch)
        mask = norm["mask"]
        b = mask.shape[0]
        t = torch.rand(b, device=mask.device) if time is None else time.float()
        outputs: dict[str, dict[str, Tensor]] = {}

        deterministic = [name for name in self.heads if name in head_registry.DETERMINISTIC_HEADS]
        noised_classification = "classification" in self.heads and self.classify_noised
        noised_pass = "point_cloud_generation" in self.heads or noised_classification
        neutrino_pass = "neutrino_generation" in self.heads and "invisible" in norm
        # The body passes (clean, noised, neutrino) run in one batched body call.
        passes: list[BodyInputs] = []
        if deterministic:
            passes.append((norm["source"], mask, None, None, None))
        if noised_pass:
            noise_mask = (torch.rand(mask.shape, device=mask.device) < noise_prob) & mask
            x_t, v_target = add_noise(norm["source"], t)
            noised_inputs = self._inpainting_inputs(x_t, t, norm, noise_mask, clean_blind)
            passes.append(noised_inputs)
        if neutrino_pass:
            inv_mask = norm["invisible_mask"]
            x_inv, v_inv_target = add_noise(norm["invisible"], t)
            x_inv = x_inv * inv_mask.unsqueeze(-1)
            neutrino_inputs = self._invisible_inputs(x_inv, t, norm, inv_mask)
            passes.append(neutrino_inputs)
        body_tokens = iter(self._bodies(passes) if passes else [])

        if deterministic:
            tokens, event = self._encode_body_tokens(next(body_tokens), mask, norm["globals"])
            for name in deterministic:
                outputs[name] = self._deterministic(name, tokens, mask, event, norm)

        if noised_pass:
            tokens, allowed = next(body_tokens), noised_inputs[3]
            global_token = self._noised_global_token(norm)
            if noised_classification:
                tokens_n, event_n = self.object_encoder(tokens, mask, global_token)
                noised = self._deterministic("classification", tokens_n, mask, event_n, norm)
                outputs["classification"]["logits_noised"] = noised["logits"]
                outputs["classification"]["alpha"] = alpha_sigma(t)[0]
            if "point_cloud_generation" in self.heads:
                v = self._point_cloud_head(tokens, global_token, t, norm, noise_mask, allowed)
                keep = self.generated_features
                outputs["point_cloud_generation"] = {
                    "v": v[..., keep], "v_target": v_target[..., keep], "noise_mask": noise_mask,
                }

        if neutrino_pass:
            v = self._invisible_head(next(body_tokens), t, norm, inv_mask, neutrino_inputs, x_inv.shape[-1])
            outputs["neutrino_generation"] = {"v": v, "v_target": v_inv_target, "noise_mask": inv_mask}

        if "global_generation" in self.heads:
            x_t, v_target = add_noise(self.global_targets_of(norm), t)
            outputs["global_generation"] = {"v": self.globals_velocity(x_t, t, norm), "v_target": v_target}
        return outputs

    def losses(self, outputs: Mapping[str, Mapping[str, Tensor]], targets: Mapping[str, object],
               event_weight: Tensor | None = None) -> dict[str, Tensor]:
        """Per-head losses; ``targets[name]`` is what that head's ``loss`` takes (None for diffusion heads)."""
        return {
            name: self.heads[name].loss(out, targets.get(name), event_weight) for name, out in outputs.items()
        }

    @torch.no_grad()
    def predict(self, batch: Mapping[str, Tensor]) -> dict[str, dict[str, Tensor]]:
        """Clean pass only: outputs of the deterministic heads."""
        norm = self.normalize(batch)
        tokens, event = self.encode(norm["source"], norm["mask"], norm["globals"])
        return {
            name: self._deterministic(name, tokens, norm["mask"], event, norm)
            for name in self.heads
            if name in head_registry.DETERMINISTIC_HEADS
        }


def build_model(preset_name: str, heads: Mapping[str, Mapping | None], normalization: dict | None = None,
                **overrides) -> EveNet:
    """EveNet from a preset name (tiny, lite, standard), a head config and the normalisation artifact."""
    return EveNet(preset(preset_name, **overrides), heads, normalization)
