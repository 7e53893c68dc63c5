"""Four-vector helpers on known configurations."""

import awkward as ak
import numpy as np
import pytest

from evenet.physics.kinematics import delta_phi, delta_r, energy, min_delta_r, momentum4d, system_mass


def test_delta_phi_wraps_across_pi():
    assert delta_phi(3.0, -3.0) == pytest.approx(6.0 - 2 * np.pi)
    assert delta_phi(-3.0, 3.0) == pytest.approx(2 * np.pi - 6.0)


def test_delta_r_is_pythagorean():
    assert delta_r(0.3, 0.1, 0.0, 0.5) == pytest.approx(0.5)


def test_energy_of_massive_object():
    # pt 30, eta 0: |p| = 30, m = 40 -> E = 50
    assert energy(30.0, 0.0, 40.0) == pytest.approx(50.0)


def test_min_delta_r_per_object_and_infinity_without_references():
    objs = ak.Array([[{"eta": 0.0, "phi": 0.0}, {"eta": 1.0, "phi": 0.0}], [{"eta": 0.0, "phi": 0.0}]])
    refs = ak.Array([[{"eta": 0.0, "phi": 0.3}, {"eta": 1.0, "phi": 0.2}], []])
    result = min_delta_r(objs, refs)
    assert result[0].tolist() == pytest.approx([0.3, 0.2])
    assert result[1].tolist() == [np.inf]


def test_system_mass_of_back_to_back_pair():
    objs = ak.Array([[{"pt": 50.0, "eta": 0.0, "phi": 0.0, "energy": 50.0}, {"pt": 50.0, "eta": 0.0, "phi": np.pi, "energy": 50.0}], []])
    np.testing.assert_allclose(system_mass(objs), [100.0, 0.0], atol=1e-9)


def test_momentum4d_sums_with_vector_behaviour():
    objs = momentum4d(ak.Array([[{"pt": 50.0, "eta": 0.0, "phi": 0.0, "mass": 0.0}, {"pt": 50.0, "eta": 0.0, "phi": np.pi, "mass": 0.0}]]))
    assert (objs[:, 0] + objs[:, 1]).mass.tolist() == pytest.approx([100.0])
