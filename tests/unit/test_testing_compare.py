"""framejit.testing.values_equal on complex values (it compared complex arrays with
np.signbit, which has no complex loop, and raised TypeError)."""
import numpy as np

from framejit.testing import values_equal


def test_complex_arrays_compare_per_component():
    a = np.array([1 + 2j, complex(np.nan, 0.0), complex(-0.0, 1.0)])
    assert values_equal(a, a.copy()) == []
    shifted = a.copy()
    shifted.imag += 1e-3
    assert [d.split(":")[0] for d in values_equal(a, shifted)] == ["result.imag"]
    flipped = a.copy()
    flipped.real[2] = 0.0                       # -0.0 -> +0.0: signed zeros must match
    assert [d.split(":")[0] for d in values_equal(a, flipped)] == ["result.real"]
    close = a.copy()
    close.real *= 1 + 1e-15
    assert values_equal(a, close, tol=1e-12) == []
    assert values_equal(np.complex64(1j), np.complex64(1j)) == []
    assert values_equal((a.astype(np.complex64),), (a,))          # dtype differs
