"""Per-event head outputs of a trained network, written to HDF5 for the analyses.

Output layout (one row per event of the chosen split, files in the order given):

* ``classification/probabilities`` (N, C) softmax of the clean-pass logits;
* ``assignment/<resonance>`` (N, n_products) chosen object slots (decoded jointly,
  -1 where none), ``detection/<resonance>`` (N,) detection probability;
* ``segmentation/<resonance>`` (N, n_products) the segmentation head's pairing in the same
  layout (``decode_segment_assignments``; resonances from the assignment topology);
* ``neutrino_generation/samples`` (N, M, F) sampled invisible particles (physical
  units) for the slots of ``INPUTS/Invisible/mask`` when the files have them;
  ``neutrino_generation/samples_k`` (N, K, M, F): K independent samples (the first is
  ``samples``) when ``neutrino_samples`` K > 1;
* ``point_cloud_generation/source`` (N, 18, 7) events regenerated at their
  multiplicity (only with ``generate=True``: a full diffusion solve per batch);
* copied for convenience: ``CLASSIFICATIONS/EVENT/process``, ``WEIGHTS/weight``,
  ``META/event``, ``META/run``, ``META/luminosityBlock``, ``META/file`` (index into the
  ``files`` attribute).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch

from evenet.atomic import atomic_output
from evenet.errors import ConfigError
from evenet.model.heads.assignment import decode_assignments
from evenet.model.heads.segmentation import decode_segment_assignments
from evenet.model.sampling import sample_invisible, sample_objects
from evenet.pointcloud import schema as S
from evenet.train.checkpoints import checkpoint_config, load_weights, network_state, read_checkpoint
from evenet.train.dataset import PointCloudStream, expand_inputs, index_blocks
from evenet.train.lightning_module import EveNetModule, model_inputs


def load_network(path: str | Path) -> EveNetModule:
    """The module of a checkpoint (its saved config; all tensors, heads included)."""
    checkpoint = read_checkpoint(path)
    config = checkpoint_config(checkpoint, path)
    module = EveNetModule(config)
    heads = list(config["model"]["heads"])
    load_weights(module.model, network_state(checkpoint, path), path, reuse_heads=heads, keep_normalization=True)
    return module.eval()


def _event_meta(files: list[Path], stream: PointCloudStream) -> dict[str, np.ndarray]:
    """META columns and file index of the stream's events in its (unshuffled) order."""
    columns: dict[str, list[np.ndarray]] = {"file": [], "run": [], "luminosityBlock": [], "event": []}
    for block in stream.blocks:
        with h5py.File(files[block.file], "r") as handle:
            for name in ("run", "luminosityBlock", "event"):
                columns[name].append(handle[f"{S.META}/{name}"][block.start : block.stop][block.rows - block.start])
        columns["file"].append(np.full(len(block.rows), block.file, np.int32))
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in columns.items()}


@torch.no_grad()
def predict(checkpoint: str | Path, inputs: list[str], output: str | Path, split: str = "test",
            batch_size: int = 512, generate: bool = False, steps: int = 20, seed: int = 0,
            neutrino_samples: int = 1, parameters: list[float] | None = None) -> int:
    """Write per-event outputs (see module doc); returns the number of events.

    ``parameters``: for a parameterised classifier, the hypothesis every event is scored
    against (e.g. one grid point's (M_X, M_Y)); None reads each event's from its file.
    """
    module = load_network(checkpoint)
    network = module.model
    num_parameters = network.heads["classification"].num_parameters if "classification" in network.heads else 0
    if parameters is not None and len(parameters) != num_parameters:
        raise ConfigError(f"--parameters: the classifier of {checkpoint} takes {num_parameters} parameters, "
                          f"got {len(parameters)}")
    files = expand_inputs(inputs)
    blocks = index_blocks(files, split, 4096)
    stream = PointCloudStream(files, blocks, batch_size, shuffle=False, drop_last=False, physical_weights=True,
                              parameters=num_parameters > 0, parameter_values=parameters)
    generator = torch.Generator().manual_seed(seed)
    results: dict[str, list[np.ndarray]] = {}

    def keep(name: str, value: torch.Tensor) -> None:
        results.setdefault(name, []).append(value.cpu().numpy())

    for batch in stream:
        inputs_ = model_inputs(batch)
        outputs = network.predict(inputs_)
        keep(S.CLASSIFICATION, batch["process"])
        keep(S.WEIGHT, batch["weight"])
        if "classification" in outputs:
            keep("classification/probabilities", outputs["classification"]["logits"].softmax(-1))
        if "assignment" in outputs:
            head = network.heads["assignment"]
            for name, choice in decode_assignments(outputs["assignment"], head.topology).items():
                keep(f"assignment/{name}", choice)
            for name in head.topology.names:
                keep(f"detection/{name}", outputs["assignment"][f"detection/{name}"].sigmoid())
        if "segmentation" in outputs and module.segmentation_topology is not None:
            for name, choice in decode_segment_assignments(outputs["segmentation"],
                                                           module.segmentation_topology).items():
                keep(f"segmentation/{name}", choice)
        if "neutrino_generation" in network.heads and "invisible_mask" in batch:
            draws = [sample_invisible(network, inputs_, batch["invisible_mask"], steps=steps, generator=generator)
                     for _ in range(max(neutrino_samples, 1))]
            keep("neutrino_generation/samples", draws[0])
            if neutrino_samples > 1:
                keep("neutrino_generation/samples_k", torch.stack(draws, dim=1))
        if generate and "point_cloud_generation" in network.heads:
            keep("point_cloud_generation/source", sample_objects(network, inputs_, steps=steps, generator=generator))

    meta = _event_meta(files, stream)
    n = len(meta["event"])
    with atomic_output(output) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["checkpoint"] = str(checkpoint)
        out.attrs["split"] = split
        out.attrs["files"] = [str(f) for f in files]
        out.attrs["n_events"] = n
        if parameters is not None:
            out.attrs["parameters"] = [float(p) for p in parameters]
        for name, parts in results.items():
            out.create_dataset(name, data=np.concatenate(parts), compression="gzip", compression_opts=1)
        for name, values in meta.items():
            out.create_dataset(f"{S.META}/{name}", data=values)
    return n
