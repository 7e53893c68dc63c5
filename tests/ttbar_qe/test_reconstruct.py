"""Reconstruction of the spin observables on hand-built on-shell events (no detector): truth,
analytic and network (with neutrino samples) give back the parton-level products."""

import numpy as np

from analyses.ttbar_qe.measure import pairing_numbers, parton_observables, place
from analyses.ttbar_qe.reconstruct import analytic_reconstruction, network_reconstruction, truth_reconstruction
from ttbar_events import make_events


def test_truth_reconstruction_is_the_parton_level():
    truth, events = make_events(30, 1)
    reco = truth_reconstruction(events)
    assert reco.valid.all()
    parton_products, parton_mtt = parton_observables(truth)
    np.testing.assert_allclose(reco.products, parton_products, atol=1e-6)
    np.testing.assert_allclose(reco.mtt, parton_mtt, rtol=1e-6)
    assert pairing_numbers(events, reco)["pairing_efficiency"].value == 1.0


def test_analytic_reconstruction_finds_pairing_and_neutrinos_without_resolution():
    truth, events = make_events(30, 2)
    reco = analytic_reconstruction(events)
    parton_products, _ = parton_observables(truth)
    correct = reco.pairing["t"][:, 0] == events.targets["t/b"]
    exact = np.all(np.abs(reco.products - parton_products) < 1e-4, axis=1)
    # smallest-m_tt among up to 4 x 2 candidates is right most of the time, never without the right pairing
    assert correct.mean() > 0.6
    assert exact.mean() > 0.4
    assert not np.any(exact & ~correct)
    assert abs(pairing_numbers(events, reco)["pairing_efficiency"].value - correct.mean()) < 1e-12


def test_network_reconstruction_averages_the_samples():
    truth, events = make_events(20, 3)
    n = len(events)
    assignment = {"t": np.stack([events.targets["t/b"], np.zeros(n, int)], axis=1),
                  "tbar": np.stack([events.targets["tbar/b"], np.ones(n, int)], axis=1)}

    def features(p3):
        pt = np.hypot(p3[:, 0], p3[:, 1])
        return np.stack([np.linalg.norm(p3, axis=1), pt, np.arcsinh(p3[:, 2] / pt), np.arctan2(p3[:, 1], p3[:, 0])], axis=1)

    exact = np.stack([features(events.nu), features(events.nubar)], axis=1)       # (N, 2, 4)
    samples = np.repeat(exact[:, None], 3, axis=1)                               # three identical samples
    reco = network_reconstruction(events, assignment, samples)
    np.testing.assert_allclose(reco.products, truth_reconstruction(events).products, atol=1e-6)
    # a wrong b choice (same jet twice) is not reconstructed
    assignment["tbar"][0, 0] = assignment["t"][0, 0]
    assert not network_reconstruction(events, assignment, samples).valid[0]


def test_place_puts_selected_events_at_their_generated_event():
    truth, events = make_events(10, 4)
    keep = np.array([1, 4, 7])
    from analyses.ttbar_qe.events import PointCloudEvents
    subset = PointCloudEvents(events.event[keep], events.objects[keep], events.mask[keep],
                              {k: v[keep] for k, v in events.targets.items()}, events.nu[keep], events.nubar[keep],
                              events.met[keep])
    sample = place(truth, subset, truth_reconstruction(subset))
    assert sample.n_generated == 10
    np.testing.assert_array_equal(np.flatnonzero(sample.reco_ok), keep)
    np.testing.assert_allclose(sample.reco_products[keep], sample.truth_products[keep], atol=1e-6)
