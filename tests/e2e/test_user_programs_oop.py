"""User programs, library-author style: classes (methods, properties, ``__call__``,
dataclasses, inheritance with ``super()``, class attributes, static/class methods,
objects holding arrays mutated across calls), closures and factories,
``functools.partial``, lambdas, ``*args``/``**kwargs`` forwarding, defaults and
keyword-only arguments. Each runs compiled against plain Python
(tests/e2e/user_programs.py)."""
import dataclasses
import functools

import numpy as np
import pytest

import framejit as fj
from user_programs import LOG, logger, same_as_python

RNG = np.random.default_rng(11)
X = RNG.standard_normal((5, 4))
W = RNG.standard_normal((4, 3))
V = RNG.standard_normal(7)


# ---------------------------------------------------------------- a tiny layer library

class Module:
    training = True                     # class attribute read through instances

    def __init__(self, name):
        self.name = name
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward")


class Linear(Module):
    def __init__(self, w, b=None, name="linear"):
        super().__init__(name)
        self.w = w
        self.b = np.zeros(w.shape[1]) if b is None else b

    def forward(self, x):
        if x.shape[-1] != self.w.shape[0]:
            raise ValueError(f"{self.name}: expected {self.w.shape[0]} features, got {x.shape[-1]}")
        return x @ self.w + self.b


class ReLU(Module):
    def __init__(self):
        super().__init__("relu")

    def forward(self, x):
        return np.maximum(x, 0)


class Dropout(Module):
    def __init__(self, keep):
        super().__init__("dropout")
        self.keep = keep

    def forward(self, x):
        if not self.training:
            return x
        return x * self.keep


class Sequential(Module):
    def __init__(self, *layers):
        super().__init__("seq")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def depth(self):
        return len(self.layers)


def make_mlp():
    return Sequential(Linear(W, name="l1"), ReLU(), Dropout(0.5),
                      Linear(np.ones((3, 2)), np.full(2, 0.1), name="l2"))


def run_model(model, x):
    y = model(x)
    return y, model.depth, [layer.calls for layer in model.layers]


def test_sequential_model_with_inheritance_and_call():
    same_as_python(run_model, [(make_mlp(), X), (make_mlp(), X[:2]), (make_mlp(), X.T[:3].T)],
                   fullgraph=True)


def test_model_input_validation_raises_value_error():
    same_as_python(run_model, [(make_mlp(), X), (make_mlp(), X[:, :3]), (make_mlp(), X)])


def test_abstract_forward_raises_not_implemented():
    same_as_python(lambda m, x: m(x) * 2, [(Module("abstract"), X)])


def eval_mode_toggle(model, x):
    outs = []
    for training in (True, False):
        Module.training = training       # class attribute store seen by every layer
        outs.append(model(x))
    Module.training = True
    return outs


def test_class_attribute_store_changes_behaviour():
    same_as_python(eval_mode_toggle, [(make_mlp(), X), (make_mlp(), X)])


# ---------------------------------------------------------------- stateful objects

class RunningStats:
    """Welford's running mean/variance over batches (an object mutated across calls)."""

    def __init__(self, dim):
        self.n = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)

    def update(self, batch):
        for row in batch:
            self.n += 1
            delta = row - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (row - self.mean)

    @property
    def var(self):
        return self.m2 / (self.n - 1) if self.n > 1 else np.full_like(self.mean, np.nan)


def stats_over_batches(stats, batches):
    for b in batches:
        stats.update(b)
    return stats.mean, stats.var, stats.n


def test_running_stats_object_across_batches():
    same_as_python(stats_over_batches, [(RunningStats(4), [X, X[:2]]),
                                        (RunningStats(4), [X[:1]]),
                                        (RunningStats(4), [])])


class Counter:
    count = 0                            # class-level counter bumped through the class

    @classmethod
    def bump(cls, k=1):
        cls.count += k
        return cls.count

    @staticmethod
    def scale(x, s):
        return x * s


def uses_static_and_class_methods(x):
    Counter.bump()
    y = Counter.scale(x, 3.0)
    n = Counter.bump(2)
    return y + n


def test_staticmethod_and_classmethod():
    def prog(x):
        Counter.count = 0
        return uses_static_and_class_methods(x), Counter.count
    # lenient only: a store to a class attribute (Counter.count = 0) is unsupported_object
    same_as_python(prog, [(X,), (V,)])


@dataclasses.dataclass
class Grid:
    nx: int
    ny: int
    dx: float = 1.0
    values: np.ndarray = None

    def __post_init__(self):
        if self.values is None:
            self.values = np.zeros((self.nx, self.ny))

    def gradient_x(self):
        return (self.values[1:] - self.values[:-1]) / self.dx


def grid_program(values, dx):
    g = Grid(values.shape[0], values.shape[1], dx=dx, values=values)
    g2 = dataclasses.replace(g, dx=2 * dx)
    return g.gradient_x(), g2.gradient_x().sum(), g == g2


def test_dataclass_built_and_replaced_in_traced_code():
    same_as_python(grid_program, [(X, 0.5), (X[::2], 0.25)], tol=1e-12)


@dataclasses.dataclass(frozen=True)
class Config:
    lr: float = 0.1
    momentum: float = 0.9
    clip: float | None = None


def sgd_momentum(params, grads, velocity, cfg=Config()):
    for k in params:
        g = grads[k]
        if cfg.clip is not None:
            g = np.clip(g, -cfg.clip, cfg.clip)
        velocity[k] = cfg.momentum * velocity[k] - cfg.lr * g
        params[k] += velocity[k]
    return params


def test_frozen_dataclass_config_and_dicts_of_arrays():
    params = {"w": W.copy(), "b": np.zeros(3)}
    grads = {"w": W * 0.1, "b": np.ones(3)}
    vel = {"w": np.zeros_like(W), "b": np.zeros(3)}
    same_as_python(sgd_momentum, [(params, grads, vel), (params, grads, vel, Config(clip=0.05)),
                                  (params, grads, vel, Config(lr=0.5))])
    # lenient only: a frozen dataclass has its own __setattr__, so the tracer treats it
    # as opaque and reading cfg.clip breaks (unsupported_object)


# ---------------------------------------------------------------- closures and factories

def make_scaler(mean, std):
    def scale(x):
        return (x - mean) / std
    scale.inverse = lambda z: z * std + mean
    return scale


def scaler_round_trip(x):
    s = make_scaler(x.mean(axis=0), x.std(axis=0) + 1e-9)
    z = s(x)
    return z, s.inverse(z)


def test_closure_factory_built_inside_traced_code():
    # lenient only: storing an attribute on a function object is unsupported_object
    same_as_python(scaler_round_trip, [(X,), (X.astype(np.float32),)], tol=1e-5)


def make_accumulator():
    total = None

    def add(x):
        nonlocal total
        total = x.copy() if total is None else total + x
        return total
    return add


def accumulate_all(xs):
    acc = make_accumulator()
    out = None
    for x in xs:
        out = acc(x)
    return out


def test_nonlocal_accumulator_closure():
    same_as_python(accumulate_all, [([X, X, X],), ([V],), ([],)], fullgraph=True)


def apply_pipeline(x, *steps, **options):
    verbose = options.pop("verbose", False)
    for i, step in enumerate(steps):
        x = step(x, **options.get(getattr(step, "__name__", ""), {}))
        if verbose:
            LOG.append((i, x.shape))
    return x


def centre(x, axis=0):
    return x - x.mean(axis=axis, keepdims=True)


def power(x, p=2):
    return x ** p


def test_varargs_kwargs_forwarding_and_partial():
    clip1 = functools.partial(np.clip, a_min=-1.0, a_max=1.0)
    same_as_python(apply_pipeline, [(X, centre, power), (X, centre, power, clip1),
                                    (V, power, centre)], tol=1e-12)


def test_varargs_with_kwargs_dict_and_verbose_logging():
    def prog(x):
        return apply_pipeline(x, centre, power, verbose=True, power={"p": 3},
                              centre={"axis": -1})
    same_as_python(prog, [(X,), (X[:1],)], tol=1e-12, fullgraph=True)


def robust_norm(x, /, ord=2, *, axis=None, keepdims=False, eps=1e-12):
    n = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    return np.maximum(n, eps)


def test_keyword_only_and_positional_only_arguments():
    same_as_python(lambda x: (robust_norm(x), robust_norm(x, axis=1),
                              robust_norm(x, 1, axis=0, keepdims=True)),
                   [(X,), (X.T,)], tol=1e-12, fullgraph=True)
    same_as_python(lambda x: robust_norm(x, axis=5), [(X,)])            # numpy's AxisError


def test_sorted_with_key_lambda_over_arrays():
    def prog(arrs):
        by_size = sorted(arrs, key=lambda a: a.size)
        by_first = sorted(arrs, key=lambda a: float(a.flat[0]), reverse=True)
        return np.concatenate([a.ravel() for a in by_size]), [a.shape for a in by_first]
    same_as_python(prog, [([X, V, W],), ([V[:2], V[:1]],)])


def test_map_filter_reduce_with_lambdas():
    def prog(xs):
        squared = list(map(lambda a: a * a, xs))
        big = list(filter(lambda a: a.ndim == 2, squared))
        total = functools.reduce(lambda a, b: a + b.sum(), big, 0.0)
        return total, len(big)
    same_as_python(prog, [([X, V, W],), ([V],)], tol=1e-12, fullgraph=True)


# ---------------------------------------------------------------- methods with effects

class Recorder:
    def __init__(self):
        self.history = []

    def __enter__(self):
        LOG.append("enter")
        return self

    def __exit__(self, exc_type, exc, tb):
        LOG.append(("exit", None if exc_type is None else exc_type.__name__))
        return False

    def record(self, name, value):
        self.history.append((name, value.shape))
        logger.debug("%s -> %s", name, value.shape)


def recorded_forward(model, x, rec):
    with rec:
        for layer in model.layers:
            x = layer(x)
            rec.record(layer.name, x)
    return x, rec.history


def test_context_manager_object_recording_with_logging():
    same_as_python(recorded_forward, [(make_mlp(), X, Recorder()), (make_mlp(), X, Recorder()),
                                      (make_mlp(), X[:, :2], Recorder())])


class Optimizer:
    def __init__(self, params, lr=0.1):
        self.params = params
        self.lr = lr
        self.state = {}

    def step(self, grads):
        for name, p in self.params.items():
            g = grads[name]
            st = self.state.setdefault(name, {"step": 0, "avg": np.zeros_like(p)})
            st["step"] += 1
            st["avg"] = 0.9 * st["avg"] + 0.1 * g * g
            p -= self.lr * g / (np.sqrt(st["avg"]) + 1e-8)


def train(opt, grads, steps):
    for _ in range(steps):
        opt.step(grads)
    return {k: v.copy() for k, v in opt.params.items()}, opt.state


def test_rmsprop_optimizer_state_dicts_setdefault():
    params = {"w": W.copy(), "b": np.zeros(3)}
    grads = {"w": W, "b": np.ones(3)}
    same_as_python(train, [(Optimizer(params), grads, 3), (Optimizer(params, lr=0.5), grads, 1)],
                   tol=1e-12, fullgraph=True)
