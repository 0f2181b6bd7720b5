"""Program format, validation and the binding's safety: every bad input is a Python
exception, overlapping operands behave as if inputs were read before outputs were
written, the op table covers NumPy's names, threads and the GIL."""
import threading

import numpy as np
import pytest

from conftest import K, one_op_program

NUMPY_NAMES = ("add subtract multiply divide power negative absolute sqrt exp log log1p "
               "expm1 sin cos tan tanh arctan2 floor ceil maximum minimum square reciprocal "
               "sign exp2 log2 log10 less less_equal greater greater_equal equal not_equal "
               "logical_and logical_or logical_not where clip sum prod min max mean any all "
               "argmin argmax").split()


def test_opcodes_cover_numpy_names_and_are_dense():
    for name in NUMPY_NAMES:
        assert name in K.OPCODES, name
    assert sorted(K.OPCODES.values()) == list(range(len(K.OPCODES)))
    for name, (code, nargs, kind, sig, cost) in K.OPINFO.items():
        assert K.OPCODES[name] == code
        assert kind in ("control", "elementwise", "reduction")


def test_module_flags():
    assert isinstance(K.HAVE_OPENMP, bool)
    assert K.max_threads() >= 1
    assert K.isa() in K.supported_isas()


def test_disassemble_and_repr():
    p = K.Program([("array", 0, "float64"), ("temp", "float64"), ("array", 1, "float64")],
                  [("sin", 1, 0), ("powi", 2, 1, 3)])
    text = K.disassemble(p)
    assert "r1 = sin(r0)" in text and "r2 = powi(r1, 3)" in text
    assert "Program" in repr(p)


BAD_PROGRAMS = [
    ([("array", 0, "float64")], [("nope", 0, 0)], None, ValueError),
    ([("array", 0, "float64")], [("add", 0, 0)], None, ValueError),           # arity
    ([("array", 0, "float64")], [("add", 0, 0, 5)], None, ValueError),        # reg id
    ([("array", 0, "float64"), ("array", 1, "int64")], [("add", 1, 0, 0)], None, TypeError),
    ([("array", 0, "float64"), ("array", 1, "float64")], [("less", 1, 0, 0)], None, TypeError),
    ([("array", 0, "int64"), ("array", 1, "int64")], [("sin", 1, 0)], None, TypeError),
    ([("array", 0, "float64"), ("temp", "float64")], [("add", 0, 1, 1)], None, ValueError),
    ([("array", 0, "float64"), ("acc", "float64")], [("sum", 1, 0)], None, ValueError),
    ([("array", 0, "float64"), ("acc", "float64")], [("sum", 1, 0), ("add", 0, 1, 1)],
     "all", ValueError),                                                    # same pass
    ([("array", 0, "float64"), ("acc", "float64")], [("add", 1, 0, 0)], "all", ValueError),
    ([("array", 0, "float64"), ("const", 1.0, "float64")], [("add", 1, 0, 0)], None,
     ValueError),
    ([("array", 0, "float64"), ("array", 0, "float64")], [("add", 1, 0, 0)], None, ValueError),
    ([("array", 0, "float64"), ("array", 1, "float64")], [("powi", 1, 0, 2.5)], None,
     ValueError),
    ([("array", 0, "float64"), ("array", 1, "float64")], [("pass", 1)], None, ValueError),
    ([("array", 0, "float32"), ("acc", "float32")], [("argmax", 1, 0)], "all", TypeError),
    ([("bogus", 0)], [], None, ValueError),
    ([("array", 0, "complex128")], [], None, TypeError),
    ([("array", 0, "float64")], [], "rows", ValueError),
]


@pytest.mark.parametrize("regs,code,reduce,exc", BAD_PROGRAMS)
def test_bad_programs_raise(regs, code, reduce, exc):
    with pytest.raises(exc):
        K.Program(regs, code, reduce=reduce)


def _add():
    return one_op_program("add", "float64", ["float64", "float64"])


def test_bad_calls_raise():
    p = _add()
    x = np.ones(4)
    with pytest.raises(ValueError):
        p([x, x])                                    # too few operands
    with pytest.raises(TypeError):
        p([x, [1.0] * 4, np.empty(4)])               # not an ndarray
    with pytest.raises(TypeError):
        p([x, x.astype(np.float32), np.empty(4)])    # wrong dtype
    with pytest.raises(TypeError):
        p([x, x.astype(">f8"), np.empty(4)])         # byte order
    with pytest.raises(ValueError):
        p([x, np.ones(5), np.empty(4)])              # broadcast mismatch
    with pytest.raises(ValueError):
        p([np.ones((3, 4)), x, np.empty(4)])         # output must have the full shape
    ro = np.empty(4)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        p([x, x, ro])
    with pytest.raises(ValueError):
        p([x, x, np.empty(4)], num_threads=0)
    buf = np.zeros(8 * 5 + 1, np.uint8)
    unaligned = buf[1:].view(np.float64)
    with pytest.raises(ValueError):
        p([x, x, unaligned[:4]])
    out = np.empty(4)
    unaligned[:4] = [1, 2, 3, 4]
    p([unaligned[:4], x, out])                       # unaligned inputs are copied
    np.testing.assert_array_equal(out, [2, 3, 4, 5])


def test_zero_size_and_scalar_shapes():
    p = _add()
    out = np.empty((0, 3))
    p([np.ones((0, 3)), np.ones(3), out])
    out = np.empty(())
    p([np.array(2.0), np.array(3.0), out])
    assert out == 5.0


def test_overlap_reads_inputs_first():
    """out aliases a shifted view of the input: results must equal NumPy's."""
    x = np.arange(20.0)
    s = np.empty(19)
    one_op_program("sin", "float64", ["float64"])([x[1:], s])
    want = s + x[:-1]
    prog = K.Program([("array", 0, "float64"), ("array", 1, "float64"),
                      ("array", 2, "float64"), ("temp", "float64")],
                     [("sin", 3, 0), ("add", 2, 3, 1)])
    prog([x[1:], x[:-1], x[:-1]], block=4)           # writes over its own input 1
    np.testing.assert_array_equal(x[:-1], want)
    with pytest.raises(ValueError, match="overlap"):
        two = K.Program([("array", 0, "float64"), ("array", 1, "float64"),
                         ("array", 2, "float64")], [("sin", 1, 0), ("cos", 2, 0)])
        y = np.zeros(10)
        two([np.ones(9), y[1:], y[:-1]])


def test_in_place_update_same_operand():
    x = np.arange(10.0)
    p = K.Program([("array", 0, "float64"), ("const", 2.0, "float64")],
                  [("multiply", 0, 0, 1)])
    p([x])
    np.testing.assert_array_equal(x, np.arange(10.0) * 2)


def test_constants_and_where_clip():
    x = np.linspace(-3, 3, 101)
    regs = [("array", 0, "float64"), ("array", 1, "float64"), ("const", 0.0, "float64"),
            ("temp", "bool"), ("const", -1.5, "float64"), ("const", 2.0, "float64"),
            ("temp", "float64")]
    code = [("greater", 3, 0, 2), ("clip", 6, 0, 4, 5), ("where", 1, 3, 6, 2)]
    out = np.empty_like(x)
    K.Program(regs, code)([x, out])
    np.testing.assert_array_equal(out, np.where(x > 0, np.clip(x, -1.5, 2.0), 0.0))


def test_gil_released_concurrent_calls():
    prog = one_op_program("sin", "float64", ["float64"])
    x = np.random.default_rng(0).standard_normal(200_000)
    want = np.empty_like(x)
    prog([x, want], num_threads=1)
    outs = [np.empty_like(x) for _ in range(4)]
    ts = [threading.Thread(target=prog, args=([x, o],), kwargs={"num_threads": 1})
          for o in outs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for o in outs:
        np.testing.assert_array_equal(o, want)


def test_explicit_shape_broadcasts_constants_only_program():
    p = K.Program([("const", 4.0, "float64"), ("array", 0, "float64")], [("sqrt", 1, 0)])
    out = np.empty((3, 2))
    p([out], shape=(3, 2))
    np.testing.assert_array_equal(out, 2.0)


def test_isa_switch_roundtrip():
    prev = K.isa()
    for name in K.supported_isas():
        K.set_isa(name)
        assert K.isa() == name
    K.set_isa(prev)
    with pytest.raises(ValueError):
        K.set_isa("nonsense")
