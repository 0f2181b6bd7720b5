"""Whole user programs (tests/e2e/test_user_programs_whole_numeric.py and _algos.py) run
under ``framejit.install()``, the way ``python -m framejit run script.py`` runs them:
every function they call compiles as its own frame (helpers are not inlined into a
compiled caller unless the trace inlines them), first calls decide per function, and the
outcomes must match plain Python (tests/e2e/user_programs.py ``same_under_install``)."""
import numpy as np
import pytest

from user_programs import same_under_install
import test_user_programs_whole_algos as algos
import test_user_programs_whole_numeric as numeric

RNG = np.random.default_rng(21)
X = RNG.standard_normal((30, 3))
Y = (X @ np.array([1.0, -2.0, 0.5]) > 0).astype(float)
T = np.linspace(0, 4 * np.pi, 40)
SIG = np.sin(T) + 0.3 * np.sin(5 * T)
EDGES = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (1, 4)]
W = np.array([1.0, 2.5, 4.0, 1.0, 0.5, 7.0])

PROGRAMS = {
    "kmeans": (numeric.kmeans, [(numeric._blobs(0, 30, 2), 3, 0),
                                (numeric._blobs(1, 20, 3), 2, 1)], 1e-9, False),
    "pca": (numeric.pca_report, [(numeric._blobs(5, 20, 4),), (numeric._blobs(6, 15, 3), 1)],
            1e-9, True),
    "ode": (numeric.solve_ode, [(numeric.lotka_volterra, [2.0, 1.0], 2.0),
                                (numeric.stiffish, np.zeros(2), 0.5)], 1e-9, False),
    "signal": (numeric.analyse_signal, [(SIG,), (SIG[:25], 5, 0.5, 4)], 1e-9, True),
    "gradient": (numeric.gradient_descent, [(numeric.quad, numeric.quad_grad, [3.0, -4.0], 5),
                                            (numeric.rosenbrock, numeric.rosenbrock_grad,
                                             [-1.0, 1.0], 4)], 1e-9, True),
    "logreg": (numeric.train_logreg, [(X, Y), (X[:13], Y[:13])], 1e-9, True),
    "dijkstra": (algos.route_report, [(5, EDGES, W, 0, 4), (6, EDGES, W, 0, 5)], None, False),
    "csv": (algos.summarize_csv, [(algos.CSV,), ("a,b\n1,2\n3,4\n",)], 1e-12, True),
    "particles": (algos.simulate, [(RNG.random((5, 2)), RNG.standard_normal((5, 2)), 7)],
                  None, True),
    "net": (algos.train_net, [(X[:12], Y[:12, None], [3, 8, 1], 4)], 1e-5, True),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_program_under_install(name):
    fn, calls, tol, quiet = PROGRAMS[name]
    same_under_install(fn, calls, tol=tol, quiet=quiet)
