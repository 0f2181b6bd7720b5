"""User programs, simulation style: integrators, stencils, particles, iterative solvers
with data-dependent exits, recursion on arrays. Written the way scientists write them
(in-place updates, ``out=``, ``np.roll``, ``while True`` with ``if err < tol: break``),
not the way our program generator does. Each runs compiled against plain Python
(tests/e2e/user_programs.py)."""
import math

import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, logger, same_as_python

RNG = np.random.default_rng(7)
V64 = RNG.standard_normal(17)
M64 = RNG.standard_normal((6, 9))


# ---------------------------------------------------------------- integrators

def euler(f, y0, t0, t1, n):
    h = (t1 - t0) / n
    y = np.array(y0, dtype=float)
    t = t0
    for _ in range(n):
        y = y + h * f(t, y)
        t += h
    return y


def rk4(f, y0, t0, t1, n):
    h = (t1 - t0) / n
    y = np.asarray(y0, dtype=np.float64).copy()
    t = t0
    for _ in range(n):
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y


def oscillator(t, y):
    return np.array([y[1], -y[0]]) if y.ndim == 1 and y.shape[0] == 2 else -y


def decay(t, y, rate=0.5):
    return -rate * y


def test_euler_with_a_function_argument():
    same_as_python(euler, [(decay, V64, 0.0, 1.0, 5), (decay, V64[:3], 0.0, 2.0, 3),
                           (decay, [1.0, 2.0], 0.0, 1.0, 4)], fullgraph=True)


def test_rk4_oscillator_stack_of_components():
    same_as_python(rk4, [(oscillator, np.array([1.0, 0.0]), 0.0, 1.0, 4),
                         (oscillator, np.array([0.5, 0.5]), 0.0, 1.0, 4),
                         (decay, M64, 0.0, 1.0, 2)], fullgraph=True)


def adaptive_step(y, tol=1e-6, h=0.5, max_iter=50):
    """Halves the step until the two-half-steps estimate agrees with one full step."""
    it = 0
    while True:
        full = y * math.exp(-h)
        half = y * math.exp(-h / 2)
        half = half * math.exp(-h / 2)
        err = float(np.max(np.abs(full - half)))
        LOG.append(("try", h))
        if err < tol or it >= max_iter:
            break
        h /= 2
        it += 1
    return half, h, it


def test_adaptive_step_while_true_with_data_dependent_exit():
    same_as_python(adaptive_step, [(V64,), (V64 * 1e-9,), (np.zeros(0),)])


# ---------------------------------------------------------------- stencils

def heat_equation(u, alpha, steps):
    u = u.copy()
    for step in range(steps):
        u[1:-1] += alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
        if step % 2 == 0:
            u[0] = u[1]
            u[-1] = u[-2]
    return u


def test_heat_equation_in_place_slices():
    same_as_python(heat_equation, [(V64, 0.2, 4), (V64, 0.2, 4), (V64[::2], 0.1, 3),
                                   (V64.astype(np.float32), np.float32(0.2), 2)],
                   fullgraph=True)


def periodic_laplacian_roll(u, out=None):
    lap = np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0) - 2 * u
    if u.ndim == 2:
        lap += np.roll(u, 1, axis=1) + np.roll(u, -1, axis=1) - 2 * u
    if out is None:
        return lap
    np.multiply(lap, 0.25, out=out)
    return out


def test_laplacian_with_roll_and_out_argument():
    same_as_python(periodic_laplacian_roll, [(M64,), (M64, np.empty_like(M64)), (V64,),
                                             (M64.T,)], fullgraph=True)


def jacobi(b, tol=1e-8, max_iter=200):
    """1-D Poisson by Jacobi iteration until the update is small."""
    x = np.zeros_like(b)
    for it in range(max_iter):
        x_new = np.empty_like(x)
        x_new[0] = b[0] / 2
        x_new[-1] = b[-1] / 2
        x_new[1:-1] = (b[1:-1] + x[:-2] + x[2:]) / 2
        diff = np.linalg.norm(x_new - x) if x.size else 0.0
        x = x_new
        if diff < tol:
            LOG.append(("converged", it))
            break
    else:
        LOG.append("no convergence")
    return x


def test_jacobi_for_else_with_break_on_residual():
    b = np.linspace(0, 1, 6)
    same_as_python(jacobi, [(b,), (b, 1e-2, 10), (b, 1e-30, 5)], tol=1e-12)


def smooth_in_place(img, passes):
    for _ in range(passes):
        np.add(img[1:, :], img[:-1, :], out=img[1:, :])
        img *= 0.5
    return img


def test_smoothing_with_out_aliasing_its_input():
    same_as_python(smooth_in_place, [(M64.copy(), 2), (M64.T.copy(), 1),
                                     (np.ones((3, 3), np.float32), 3)], fullgraph=True)


# ---------------------------------------------------------------- particles

class Particles:
    def __init__(self, n, seed=0):
        rng = np.random.default_rng(seed)
        self.pos = rng.uniform(-1, 1, (n, 2))
        self.vel = rng.standard_normal((n, 2)) * 0.1
        self.mass = np.ones(n)
        self.steps = 0

    def kinetic_energy(self):
        return 0.5 * np.sum(self.mass[:, None] * self.vel ** 2)

    def step(self, dt, box=1.0):
        self.pos += dt * self.vel
        hit = np.abs(self.pos) > box
        self.vel = np.where(hit, -self.vel, self.vel)
        self.pos = np.clip(self.pos, -box, box)
        self.steps += 1


def simulate(ps, dt, n):
    energies = []
    for _ in range(n):
        ps.step(dt)
        energies.append(ps.kinetic_energy())
    return np.array(energies), ps.steps


def test_particles_object_mutated_across_steps():
    same_as_python(simulate, [(Particles(5), 0.5, 3), (Particles(5, 1), 0.5, 3),
                              (Particles(0), 0.1, 2)], tol=1e-12)


def simulate_with_report(ps, dt, n, every=2):
    for i in range(n):
        ps.step(dt)
        if i % every == 0:
            e = float(ps.kinetic_energy())
            logger.info("step %d energy %.6f", i, e)
            if not np.isfinite(e):
                raise FloatingPointError(f"energy blew up at step {i}")
    return ps.pos.mean(axis=0)


def test_particles_with_logging_of_a_data_dependent_value():
    ps_nan = Particles(3)
    ps_nan.vel[0, 0] = np.nan
    same_as_python(simulate_with_report, [(Particles(4), 0.1, 4), (Particles(4), 0.1, 4),
                                          (ps_nan, 0.1, 3)], tol=1e-12)


def leapfrog_nbody(pos, vel, mass, dt, steps, soft=0.05):
    def accel(p):
        d = p[None, :, :] - p[:, None, :]
        r2 = (d ** 2).sum(-1) + soft ** 2
        return (d * (mass[None, :] / r2 ** 1.5)[..., None]).sum(1)

    a = accel(pos)
    for _ in range(steps):
        vel = vel + 0.5 * dt * a
        pos = pos + dt * vel
        a = accel(pos)
        vel = vel + 0.5 * dt * a
    return pos, vel


def test_nbody_leapfrog_with_a_nested_helper():
    p = RNG.standard_normal((4, 3))
    v = np.zeros((4, 3))
    same_as_python(leapfrog_nbody, [(p, v, np.ones(4), 0.01, 2),
                                    (p[:2], v[:2], np.ones(2), 0.01, 2)], tol=1e-12,
                   fullgraph=True)


# ---------------------------------------------------------------- recursion

def merge_sort(a):
    if a.shape[0] <= 1:
        return a.copy()
    mid = a.shape[0] // 2
    left, right = merge_sort(a[:mid]), merge_sort(a[mid:])
    out = np.empty_like(a)
    i = j = k = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out[k] = left[i]
            i += 1
        else:
            out[k] = right[j]
            j += 1
        k += 1
    out[k:k + len(left) - i] = left[i:]
    k += len(left) - i
    out[k:] = right[j:]
    return out


def test_recursive_merge_sort_with_element_comparisons():
    same_as_python(merge_sort, [(np.array([3.0, 1.0, 2.0, 0.5]),),
                                (np.array([5, 4, 4, 1, 9]),), (np.zeros(0),)])


def pairwise_sum(x):
    """Divide and conquer on shapes only: no break."""
    n = x.shape[0]
    if n <= 4:
        return x.sum(axis=0)
    return pairwise_sum(x[: n // 2]) + pairwise_sum(x[n // 2:])


def test_recursive_pairwise_sum_on_shapes():
    same_as_python(pairwise_sum, [(M64,), (RNG.standard_normal((11, 2)),), (V64,)],
                   tol=1e-12, fullgraph=True)


def bisect_root(f, lo, hi, tol=1e-10):
    flo = f(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if np.all(np.abs(hi - lo) < tol):
            return mid
        go_left = np.sign(fm) == np.sign(flo)
        lo = np.where(go_left, mid, lo)
        flo = np.where(go_left, fm, flo)
        hi = np.where(go_left, hi, mid)
    raise RuntimeError("bisection did not converge")


def test_vectorised_bisection_with_data_dependent_return():
    cube = lambda z: z ** 3 - 2.0           # noqa: E731
    same_as_python(bisect_root, [(cube, np.zeros(3), np.full(3, 2.0)),
                                 (np.cos, np.array([0.0]), np.array([3.0]), 1e-3)],
                   tol=1e-12)


def newton_sqrt(a, iters=30, tol=1e-14):
    if np.any(a < 0):
        raise ValueError("newton_sqrt: negative input")
    x = np.where(a > 1, a, 1.0)
    for i in range(iters):
        nx = 0.5 * (x + a / x)
        if np.max(np.abs(nx - x), initial=0.0) <= tol * np.max(nx, initial=1.0):
            return nx, i
        x = nx
    return x, iters


def test_newton_sqrt_validation_and_early_return_inside_a_loop():
    same_as_python(newton_sqrt, [(np.array([4.0, 2.0, 9.0]),), (np.array([4.0, 2.0, 9.0]),),
                                 (np.array([1.0, -1.0]),), (np.zeros(0),),
                                 (np.array([[0.25]], dtype=np.float32),)])


# ---------------------------------------------------------------- edge inputs

def normalise_rows(x, eps=1e-12):
    x = np.asarray(x)
    if x.ndim < 2:
        x = x.reshape(1, -1)
    norms = np.sqrt((x * x).sum(axis=1, keepdims=True))
    return x / np.maximum(norms, eps)


@pytest.mark.parametrize("arg", [M64, M64.T, M64[::2, ::3], np.zeros((0, 3)),
                                 np.array(2.5), 3.0, np.arange(6, dtype=np.int64),
                                 np.array([[np.nan, np.inf]]), M64.astype(np.float32)],
                         ids=["c", "T", "strided", "empty", "0d", "pyfloat", "int64",
                              "naninf", "f32"])
def test_normalise_rows_on_edge_inputs(arg):
    tol = 1e-5 if getattr(arg, "dtype", None) == np.float32 else 1e-12
    same_as_python(normalise_rows, [(arg,), (arg,)], tol=tol, fullgraph=True)


def test_atleast_2d_breaks_but_behaves():
    # lenient only: np.atleast_2d is not in the op registry (with several arguments it
    # returns a tuple, which an op's meta cannot describe)
    same_as_python(lambda x: np.atleast_2d(x) * 2, [(V64,), (np.array(1.0),), (M64,)])
