"""Physics kernels: stencils, particles, integrators, fields."""
import numpy as np

from .case import Case


def heat2d_step(u, alpha=0.1):
    un = u.copy()
    un[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * (
        u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
    )
    return un


def heat2d_inplace_steps(u, alpha=0.2, steps=4):
    for _ in range(steps):
        u[1:-1, 1:-1] += alpha * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
    return u.sum()


def heat1d_dirichlet(u, left=1.0, right=0.0, r=0.25, steps=6):
    u = u.copy()
    for _ in range(steps):
        u[0] = left
        u[-1] = right
        u[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return u


def laplacian5(f, h=0.1):
    out = np.zeros_like(f)
    out[1:-1, 1:-1] = (f[2:, 1:-1] + f[:-2, 1:-1] + f[1:-1, 2:] + f[1:-1, :-2] - 4 * f[1:-1, 1:-1]) / h ** 2
    return out


def wave1d_leapfrog(u_prev, u, c=0.5, steps=5):
    for _ in range(steps):
        u_next = np.zeros_like(u)
        u_next[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + c ** 2 * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_prev, u = u, u_next
    return u_prev, u


def upwind_advection(q, v=0.8, steps=5):
    for _ in range(steps):
        q = np.concatenate([q[:1], q[1:] - v * (q[1:] - q[:-1])])
    return q


def periodic_diffusion(u, d=0.2):
    left = np.concatenate([u[-1:], u[:-1]])
    right = np.concatenate([u[1:], u[:1]])
    return u + d * (left - 2 * u + right)


def nbody_accel(pos, mass, soft=0.1):
    dx = pos[np.newaxis, :, :] - pos[:, np.newaxis, :]
    r2 = (dx ** 2).sum(axis=-1) + soft ** 2
    inv_r3 = r2 ** -1.5
    return (dx * (inv_r3 * mass[np.newaxis, :])[:, :, np.newaxis]).sum(axis=1)


def nbody_leapfrog(pos, vel, mass, dt=0.01, steps=3):
    for _ in range(steps):
        vel += 0.5 * dt * nbody_accel(pos, mass)
        pos += dt * vel
        vel += 0.5 * dt * nbody_accel(pos, mass)
    ke = 0.5 * np.sum(mass * np.sum(vel ** 2, axis=1))
    return ke


def nbody_potential(pos, mass, soft=0.1):
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1) + soft ** 2)
    pot = -np.outer(mass, mass) / d
    return np.triu(pot, 1).sum()


def lennard_jones(pos, eps=1.0, sigma=1.0):
    n = pos.shape[0]
    d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1) + np.eye(n)
    s6 = (sigma ** 2 / d2) ** 3
    e = 4 * eps * (s6 * s6 - s6)
    e = np.where(np.eye(n, dtype=bool), 0.0, e)
    return 0.5 * e.sum(), e.sum(axis=1)


def harmonic_verlet(x, v, k=2.0, m=1.0, dt=0.05, steps=10):
    a = -k / m * x
    for _ in range(steps):
        x = x + v * dt + 0.5 * a * dt ** 2
        a_new = -k / m * x
        v = v + 0.5 * (a + a_new) * dt
        a = a_new
    energy = 0.5 * m * v ** 2 + 0.5 * k * x ** 2
    return x, v, energy


def _pendulum_rhs(state, g=9.81, length=1.0):
    theta = state[..., 0]
    omega = state[..., 1]
    return np.stack([omega, -g / length * np.sin(theta)], axis=-1)


def pendulum_rk4(state, dt=0.01, steps=3):
    f = _pendulum_rhs
    for _ in range(steps):
        k1 = f(state)
        k2 = f(state + 0.5 * dt * k1)
        k3 = f(state + 0.5 * dt * k2)
        k4 = f(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return state


def projectile(v0, theta, g=9.81, n=50):
    t_flight = 2 * v0 * np.sin(theta) / g
    t = np.linspace(0.0, 1.0, n)[:, None] * t_flight[None, :]
    x = v0 * np.cos(theta) * t
    y = v0 * np.sin(theta) * t - 0.5 * g * t ** 2
    return np.stack([x, y], axis=-1), y.max(axis=0)


def kinetic_energy(mass, vel):
    per_particle = 0.5 * mass * np.sum(vel ** 2, axis=1)
    return per_particle, per_particle.sum()


def ising_energy(spins, J=1.0, h=0.1):
    right = np.concatenate([spins[:, 1:], spins[:, :1]], axis=1)
    down = np.concatenate([spins[1:, :], spins[:1, :]], axis=0)
    inter = (spins * right + spins * down).sum()
    return -J * inter - h * spins.sum(), np.abs(spins.mean())


def ising_flip_energy(spins, J=1.0):
    s = spins
    nb = np.zeros_like(s)
    nb[1:, :] += s[:-1, :]
    nb[:-1, :] += s[1:, :]
    nb[:, 1:] += s[:, :-1]
    nb[:, :-1] += s[:, 1:]
    return 2 * J * s * nb


def potential_grid(xs, ys, q=1.0, soft=0.05):
    r = np.sqrt(np.add.outer(ys ** 2, xs ** 2) + soft ** 2)
    return q / r


def electric_field(charges, qpos, grid):
    d = grid[:, None, :] - qpos[None, :, :]
    r3 = (np.sum(d * d, axis=-1) + 0.01) ** 1.5
    return np.sum(charges[None, :, None] * d / r3[:, :, None], axis=1)


def cart_to_spherical(xyz):
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    r = np.sqrt(x ** 2 + y ** 2 + z ** 2)
    theta = np.arctan2(np.sqrt(x ** 2 + y ** 2), z)
    phi = np.arctan2(y, x)
    return np.stack([r, theta, phi], axis=1)


def rotate_points(points, angles):
    c, s = np.cos(angles), np.sin(angles)
    R = np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)
    return np.matmul(R, points[..., None])[..., 0]


def mandelbrot_escape(xs, ys, iters=20):
    c = xs[np.newaxis, :] + 1j * ys[:, np.newaxis]
    z = np.zeros_like(c)
    count = np.zeros(c.shape, dtype=np.int64)
    for _ in range(iters):
        inside = np.abs(z) <= 2.0
        z = np.where(inside, z * z + c, z)
        count += inside
    return count, np.abs(z).max()


def damped_oscillator_analytic(t, omega0=3.0, zeta=0.2):
    wd = omega0 * np.sqrt(1 - zeta ** 2)
    envelope = np.e ** (-zeta * omega0 * t)
    return envelope * np.cos(wd * t), envelope


def reflecting_walls(pos, vel, lo=0.0, hi=1.0):
    below = pos < lo
    above = pos > hi
    vel[below | above] *= -1.0
    pos[below] = 2 * lo - pos[below]
    pos[above] = 2 * hi - pos[above]
    return np.logical_or(below, above).sum(axis=0)


def _n(rng, *shape):
    return rng.standard_normal(shape)


def _grid(rng):
    u = np.zeros((12, 14))
    u[3:7, 4:9] = rng.uniform(0.5, 1.0, (4, 5))
    return (u,)


CASES = [
    Case("heat2d_step", heat2d_step, _grid),
    Case("heat2d_inplace_steps", heat2d_inplace_steps, _grid, mutates=True),
    Case("heat1d_dirichlet", heat1d_dirichlet, lambda rng: (rng.random(20),)),
    Case("laplacian5", laplacian5, lambda rng: (_n(rng, 9, 8),)),
    Case("wave1d_leapfrog", wave1d_leapfrog,
         lambda rng: (np.sin(np.linspace(0, np.pi, 30)), np.sin(np.linspace(0, np.pi, 30)) * 0.99)),
    Case("upwind_advection", upwind_advection, lambda rng: (rng.random(25),)),
    Case("periodic_diffusion", periodic_diffusion, lambda rng: (rng.random(16),)),
    Case("nbody_accel", nbody_accel, lambda rng: (_n(rng, 8, 3), rng.uniform(0.5, 2.0, 8))),
    Case("nbody_leapfrog", nbody_leapfrog,
         lambda rng: (_n(rng, 6, 3), 0.1 * _n(rng, 6, 3), rng.uniform(0.5, 2.0, 6)), mutates=True),
    Case("nbody_potential", nbody_potential, lambda rng: (_n(rng, 7, 3), rng.uniform(0.5, 2.0, 7))),
    Case("lennard_jones", lennard_jones, lambda rng: (np.arange(15.0).reshape(5, 3) * 0.7 + 0.1 * _n(rng, 5, 3),)),
    Case("harmonic_verlet", harmonic_verlet, lambda rng: (_n(rng, 5), _n(rng, 5))),
    Case("pendulum_rk4", pendulum_rk4, lambda rng: (_n(rng, 4, 2),)),
    Case("projectile", projectile, lambda rng: (rng.uniform(5, 20, 3), rng.uniform(0.2, 1.3, 3))),
    Case("kinetic_energy", kinetic_energy, lambda rng: (rng.uniform(1, 2, 10), _n(rng, 10, 3))),
    Case("ising_energy", ising_energy, lambda rng: (np.where(rng.random((8, 8)) < 0.5, -1, 1),)),
    Case("ising_flip_energy", ising_flip_energy, lambda rng: (np.where(rng.random((6, 7)) < 0.5, -1, 1),)),
    Case("potential_grid", potential_grid, lambda rng: (np.linspace(-1, 1, 9), np.linspace(-1, 1, 7))),
    Case("electric_field", electric_field,
         lambda rng: (rng.choice([-1.0, 1.0], 4), _n(rng, 4, 2), _n(rng, 10, 2))),
    Case("cart_to_spherical", cart_to_spherical, lambda rng: (_n(rng, 12, 3),)),
    Case("rotate_points", rotate_points, lambda rng: (_n(rng, 6, 2), rng.uniform(-np.pi, np.pi, 6))),
    Case("mandelbrot_escape", mandelbrot_escape,
         lambda rng: (np.linspace(-2.0, 0.5, 24), np.linspace(-1.2, 1.2, 16))),
    Case("damped_oscillator_analytic", damped_oscillator_analytic, lambda rng: (np.linspace(0, 5, 40),)),
    Case("reflecting_walls", reflecting_walls,
         lambda rng: (rng.uniform(-0.2, 1.2, (10, 2)), _n(rng, 10, 2)), mutates=True),
]
