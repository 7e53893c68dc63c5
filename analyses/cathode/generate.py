"""SR background from the EveNet generator ensemble (paper Sec. VI, two-stage generation).

For one channel and one generator variant: the background mass density p(m) is the
quintic fitted to the channel's sideband data (evenet.stats.bumphunt); for each fold
model, ``events_per_model`` SR masses M are drawn from it, then

1. stage 1: H_T = pT1 + pT2 (global HT_lep) is sampled given M (M_leps) by the
   model's global_generation head;
2. stage 2: the two muons' (energy, pT, eta, phi) are sampled given M and H_T by the
   point_cloud_generation head (isLepton 1, btag 0 and the channel's charges given),
   then every event is rotated about the beam axis by a uniformly random angle
   (generators trained in the pair frame, ``generator.rotate_phi``, make pairs at phi = 0;
   the pair mass, the features and the calibration are invariant, analyses/cathode/azimuth.py);
3. the muons are kept as generated ("raw": the pair mass is what the model made) and
   calibrated in the pair rest frame to mass M (evenet.physics.dimuon_calibration,
   with the per-event calibration magnitude);
4. the pair mass and features are recomputed from the muons and the selection is
   reapplied (muon pT and |eta| from the dimuon selection block; the SR window for
   raw events, whose mass moved).

Output HDF5: ``model`` (fold index), ``condition_mass``, ``ht_condition``,
``calibration_magnitude`` and groups ``raw/`` and ``calibrated/`` with pt1, eta1, phi1,
pt2, eta2, phi2 (pT order), ``mass`` and ``selected``.

    python -m analyses.cathode.generate --checkpoints m0.ckpt ... --data results/pointcloud/dimuon/*.h5 \
        --channel os --config config/cathode/demo.yaml --selections config/selections.yaml --output gen.h5
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np
import yaml

from analyses.cathode.azimuth import rotate
from analyses.cathode.config import CHANNELS, load_config
from analyses.cathode.features import ordered, pair_mass, read_dimuons
from evenet.atomic import atomic_output
from evenet.errors import ConfigError, UserError, command
from evenet.model.config import GLOBAL_FEATURES, SOURCE_FEATURES
from evenet.physics.dimuon_calibration import calibrate_pairs
from evenet.selection.dimuon import REGION_SB
from evenet.stats.bumphunt import fit_sidebands, histogram, mass_edges, signal_region_bins

MUON_FIELDS = ("pt1", "eta1", "phi1", "pt2", "eta2", "phi2")


def background_masses(mass_sb: np.ndarray, cfg: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """n SR masses drawn from the polynomial fitted to the sideband masses."""
    m = cfg["mass"]
    edges = mass_edges(tuple(m["signal_region"]), tuple(m["range"]), m["sr_edges"])
    sumw, sumw2 = histogram(mass_sb, edges)
    fit = fit_sidebands(edges, sumw, sumw2, signal_region_bins(edges, tuple(m["signal_region"])), m["degree"])
    fine = np.linspace(*m["signal_region"], 1601)
    cdf = np.concatenate([[0.0], np.cumsum(np.clip(fit.expected(fine), 0.0, None))])
    if not cdf[-1] > 0:
        raise UserError("the sideband fit predicts no background in the signal region")
    return np.interp(rng.random(n) * cdf[-1], cdf, fine)


def muon_cuts(selections_path) -> tuple[float, float]:
    """(pt_min, abs_eta_max) of the dimuon selection's muons."""
    try:
        muon = yaml.safe_load(open(selections_path))["dimuon"]["objects"]["muon"]
        return float(muon["pt_min"]), float(muon["abs_eta_max"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ConfigError(f"{selections_path}: no dimuon.objects.muon pt_min/abs_eta_max ({err})") from None


def _sample_model(checkpoint, mass: np.ndarray, channel: str, steps: int, seed: int) -> dict[str, np.ndarray]:
    import torch

    from evenet.model.sampling import sample_event_quantities, sample_objects
    from evenet.train.predict import load_network

    network = load_network(checkpoint).model
    if "global_generation" not in network.heads or "point_cloud_generation" not in network.heads:
        raise ConfigError(f"{checkpoint}: the generator needs the global_generation and point_cloud_generation heads")
    n, slots = len(mass), 18
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    source = torch.zeros(n, slots, len(SOURCE_FEATURES))
    mask = torch.zeros(n, slots, dtype=torch.bool)
    mask[:, :2] = True
    source[:, :2, SOURCE_FEATURES.index("isLepton")] = 1.0
    q = torch.from_numpy(np.where(rng.random(n) < 0.5, 1.0, -1.0)).float()
    source[:, 0, SOURCE_FEATURES.index("charge")] = q
    source[:, 1, SOURCE_FEATURES.index("charge")] = q if channel == "ss" else -q
    globals_ = torch.zeros(n, len(GLOBAL_FEATURES))
    globals_[:, GLOBAL_FEATURES.index("nLepton")] = 2.0
    for name in ("M_leps", "M_all"):
        globals_[:, GLOBAL_FEATURES.index(name)] = torch.from_numpy(mass).float()
    batch = {"source": source, "source_mask": mask, "globals": globals_}
    ht = sample_event_quantities(network, batch, steps=steps, generator=generator)["globals"][:, 0]
    globals_[:, GLOBAL_FEATURES.index("HT_lep")] = ht
    out = sample_objects(network, batch, steps=steps, generator=generator)[:, :2].numpy().astype(float)
    pt, eta, phi = (out[:, :, SOURCE_FEATURES.index(k)] for k in ("pt", "eta", "phi"))
    return {"ht_condition": ht.numpy().astype(float), "pt": pt, "eta": eta, "phi": phi}


def generate_events(checkpoints, masses, channel: str, steps: int, seed: int, cuts: tuple[float, float],
                    windows) -> dict[str, np.ndarray]:
    """Generated, calibrated and re-selected events (module docstring, steps 1-4) at the
    conditioning masses ``masses[k]`` of fold model k; ``cuts`` (pt_min, abs_eta_max) of the
    muons; an event is selected when its recomputed pair mass lies in one of ``windows``
    ([low, high) intervals). One array per output key, the models' events concatenated."""
    parts = []
    for k, (checkpoint, mass) in enumerate(zip(checkpoints, masses)):
        s = _sample_model(checkpoint, mass, channel, steps, seed * 1000 + k)
        turn = np.random.default_rng([seed, k]).uniform(-np.pi, np.pi, len(mass))
        parts.append(calibrated_events(k, mass, np.abs(s["pt"]), s["eta"], rotate(s["phi"], turn), s["ht_condition"],
                                       cuts, windows))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def calibrated_events(model: int, mass, pt, eta, phi, ht, cuts: tuple[float, float], windows) -> dict[str, np.ndarray]:
    """Muon pairs ``pt``, ``eta``, ``phi`` (n, 2) as generated ("raw") and calibrated to the conditioning
    ``mass`` (n,), each in pT order with its recomputed pair mass and selection (:func:`generate_events`)."""
    pt_min, eta_max = cuts
    p = lambda i: np.stack([pt[:, i] * np.cos(phi[:, i]), pt[:, i] * np.sin(phi[:, i]), pt[:, i] * np.sinh(eta[:, i])],
                           axis=1)
    new1, new2, magnitude = calibrate_pairs(p(0), p(1), mass)
    raw = dict(zip(MUON_FIELDS, ordered(pt[:, 0], eta[:, 0], phi[:, 0], pt[:, 1], eta[:, 1], phi[:, 1])))
    cal = dict(zip(MUON_FIELDS, ordered(*_pt_eta_phi(new1), *_pt_eta_phi(new2))))
    part = {"model": np.full(len(mass), model), "condition_mass": mass, "ht_condition": ht,
            "calibration_magnitude": magnitude}
    for name, muons in (("raw", raw), ("calibrated", cal)):
        mu_mass = pair_mass(*(muons[f] for f in MUON_FIELDS))
        in_window = np.zeros(len(mu_mass), bool)
        for low, high in windows:
            in_window |= (mu_mass >= low) & (mu_mass < high)
        ok = (muons["pt2"] > pt_min) & (np.abs(muons["eta1"]) < eta_max) & (np.abs(muons["eta2"]) < eta_max)
        part.update({f"{name}/{f}": v for f, v in muons.items()})
        part[f"{name}/mass"], part[f"{name}/selected"] = mu_mass, ok & in_window
    return part


def write_events(output, events: dict[str, np.ndarray], channel: str, checkpoints) -> None:
    with atomic_output(output) as tmp, h5py.File(tmp, "w") as f:
        for key, value in events.items():
            f.create_dataset(key, data=value)
        f.attrs["channel"] = channel
        f.attrs["checkpoints"] = [str(c) for c in checkpoints]


def generate(checkpoints, data_paths, channel: str, cfg: dict, selections_path, output) -> dict:
    gen, m = cfg["generator"], cfg["mass"]
    data = read_dimuons(data_paths)
    sb = (data.region == REGION_SB) & (data.channel == CHANNELS[channel])
    rng = np.random.default_rng(gen["seed"])
    masses = [background_masses(data.mass[sb], cfg, gen["events_per_model"], rng) for _ in checkpoints]
    merged = generate_events(checkpoints, masses, channel, gen["steps"], gen["seed"], muon_cuts(selections_path),
                             [m["signal_region"]])
    write_events(output, merged, channel, checkpoints)
    return {"events": len(merged["model"]), "selected_raw": int(merged["raw/selected"].sum()),
            "selected_calibrated": int(merged["calibrated/selected"].sum()),
            "median_calibration_magnitude": float(np.median(merged["calibration_magnitude"]))}


def _pt_eta_phi(p4: np.ndarray):
    pt = np.hypot(p4[:, 1], p4[:, 2])
    return pt, np.arcsinh(p4[:, 3] / pt), np.arctan2(p4[:, 2], p4[:, 1])


@command("python -m analyses.cathode.generate")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoints", nargs="+", required=True, help="one generator checkpoint per fold")
    p.add_argument("--data", nargs="+", required=True, help="point-cloud HDF5 of the data stream")
    p.add_argument("--channel", required=True, choices=sorted(CHANNELS))
    p.add_argument("--config", required=True)
    p.add_argument("--selections", required=True, help="selections YAML (dimuon muon cuts)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    summary = generate(args.checkpoints, args.data, args.channel, load_config(args.config), args.selections,
                       args.output)
    print(f"{summary} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
