"""Objects of library classes and instance namespaces inside compiled code.

A method a class has from the standard library or site-packages (``logging.Logger.info``,
a user subclass's inherited ``LoggerAdapter.info``) is never inlined: calling it is a
graph break and it runs in plain Python, so its output is the library's own. An
instance's ``__dict__`` (and ``vars()``) is its live namespace, not the class's. Each
test compares plain Python with the compiled function.
"""
import argparse
import logging

import numpy as np
import pytest

import framejit as fj

from test_breaks_toplevel import LOG, compare


class _ListHandler(logging.Handler):
    def emit(self, record):
        LOG.append((record.name, record.levelname, record.getMessage()))


_LOGGER = logging.getLogger("framejit.tests.library_objects")
_LOGGER.addHandler(_ListHandler())
_LOGGER.setLevel(logging.INFO)
_LOGGER.propagate = False


class _Adapter(logging.LoggerAdapter):
    def note(self, msg):
        self.info("note: %s", msg)            # inherited from the library class


class _Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


@pytest.fixture(autouse=True)
def _fresh():
    fj.reset()
    yield
    fj.reset()


def logs_around_array_work(x):
    _LOGGER.info("start %d", x.size)
    y = np.sin(x) * 2
    _LOGGER.debug("not shown")
    _Adapter(_LOGGER, {}).note("mid")
    if _LOGGER.isEnabledFor(logging.INFO):
        _LOGGER.warning("max %.3f", 1.5)
    return y + 1


def namespace_of_an_instance(x):
    p = _Point(1, 2)
    d = dict(p.__dict__)
    v = vars(_Point(3, 4))
    p.__dict__["z"] = 5                    # the live namespace
    return x + d["y"] + v["x"] + p.z


def namespace_of_an_argument(x, p):
    keys = sorted(p.__dict__)
    return x * len(keys) + p.x


def argparse_namespace_attributes(x, args):
    return x * args.lr + args.steps


@pytest.mark.parametrize("fn", [logs_around_array_work, namespace_of_an_instance])
def test_matches_plain_python(fn):
    compare(fn, np.arange(4.0))


def test_namespace_of_an_argument():
    compare(namespace_of_an_argument, np.arange(3.0), _Point(2.0, 3.0))


def test_a_library_method_is_not_inlined():
    rep = fj.explain(logs_around_array_work)(np.arange(4.0))
    files = {f.filename for b in rep.break_reasons for f in b.user_stack}
    assert files == {__file__}, files     # no frame of logging/__init__.py was traced


def test_attribute_reads_of_a_library_object_stay_in_the_graph():
    args = argparse.Namespace(lr=0.5, steps=3)
    compare(argparse_namespace_attributes, np.arange(3.0), args, fullgraph=True)


# ---------------------------------------------------------------- frozen dataclasses

import dataclasses  # noqa: E402


@dataclasses.dataclass(frozen=True)
class _Config:
    clip: float = 0.5
    steps: int = 2

    @property
    def doubled(self):
        return self.steps * 2

    def scale(self, x):
        return x * self.steps


def reads_a_frozen_config(x, cfg):
    return cfg.scale(np.clip(x, -cfg.clip, cfg.clip)) + cfg.doubled


def writes_a_frozen_config(x, cfg):
    try:
        cfg.steps = 3
    except dataclasses.FrozenInstanceError as e:
        LOG.append(str(e))
    try:
        del cfg.clip
    except dataclasses.FrozenInstanceError as e:
        LOG.append(str(e))
    return x + cfg.steps


def test_a_frozen_dataclass_is_read_in_the_graph():
    compare(reads_a_frozen_config, np.arange(4.0), _Config(), fullgraph=True)
    compare(reads_a_frozen_config, np.arange(4.0), _Config(0.25, 3))


def test_stores_into_a_frozen_dataclass_raise_as_in_python():
    compare(writes_a_frozen_config, np.arange(4.0), _Config())


# ---------------------------------------------------------------- identity and enums

import enum  # noqa: E402

_MISSING = object()


class _Mode(enum.Enum):
    FAST = 1
    SLOW = 2

    def factor(self):
        return self.value * 2


def enum_and_sentinel_identity(x, mode=_Mode.FAST, default=_MISSING):
    print(end="")                          # a break: both arrive through a resume function
    fast = mode is _Mode.FAST
    missing = default is _MISSING
    return x * mode.value + fast + missing + (mode is not _Mode.SLOW) + len(mode.name)


def enum_members_in_one_graph(x, mode):
    return x * mode.value + (mode == _Mode.SLOW) + mode.factor()


@pytest.mark.parametrize("args", [(), (_Mode.SLOW,), (_Mode.FAST, 3), (_Mode.SLOW, _MISSING)])
def test_identity_of_objects_the_trace_cannot_see_into(args):
    compare(enum_and_sentinel_identity, np.arange(3.0), *args)


def test_enum_members_are_constants():
    for mode in (_Mode.FAST, _Mode.SLOW):
        compare(enum_members_in_one_graph, np.arange(3.0), mode, fullgraph=True)


class _Fallback:
    @property
    def p(self):
        LOG.append("property")
        raise AttributeError("not yet")

    def __getattr__(self, name):
        LOG.append(("__getattr__", name))
        return 5.0


def property_falls_back_to_getattr(x, obj):
    return x + obj.p + getattr(obj, "p", 0) + hasattr(obj, "p")


def test_a_property_raising_attribute_error_falls_back_to_getattr():
    compare(property_falls_back_to_getattr, np.arange(3.0), _Fallback())
