"""The op table itself: row shape, kernel names, families, module hygiene."""
import ast
import pathlib

import numpy as np
import pytest

from framejit.graph import ops
from framejit.graph.ops import KERNEL_OPS, OPS, DataDependentShape, Family, OpDef, register

GRAPH_DIR = pathlib.Path(ops.__file__).parent


def _numpy_callable(name):
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj


def test_every_kernel_name_is_a_numpy_op_name():
    for op in OPS.values():
        if op.kernel is not None:
            assert op.kernel in OPS, op.name
            assert callable(_numpy_callable(op.kernel)), op.kernel
    assert KERNEL_OPS == {op.kernel for op in OPS.values() if op.kernel}


def test_kernel_ops_are_elementwise_or_reductions():
    for op in OPS.values():
        if op.kernel:
            assert op.family in (Family.ELEMENTWISE, Family.REDUCTION), op.name


def test_rows_are_well_formed():
    for name, op in OPS.items():
        assert isinstance(op, OpDef) and op.name == name
        assert isinstance(op.family, Family)
        assert callable(op.impl) and callable(op.meta)
        assert isinstance(op.mutates, tuple) and isinstance(op.view, bool)


ALIASES = {"abs": "absolute", "conj": "conjugate"}  # np.abs / np.conj spelled as users do


def test_ufunc_rows_use_numpy_names():
    for name, op in OPS.items():
        if isinstance(op.impl, np.ufunc):
            assert op.impl.__name__ == ALIASES.get(name, name)


def test_required_ops_present():
    required = """sum mean std var max min prod cumsum cumprod argmax argmin any all where clip
    reshape transpose flip squeeze expand_dims ravel broadcast_to concatenate stack hstack
    vstack repeat tile triu tril diagonal swapaxes moveaxis zeros empty ones full zeros_like
    empty_like ones_like full_like arange linspace eye identity dot matmul outer inner vdot
    tensordot einsum trace linalg.norm getitem setitem astype copy real imag conj round
    around nan_to_num isnan isinf isfinite sort argsort diff abs float32 float64 int32 int64
    complex128 bool_ add.outer add.reduce add.accumulate maximum.accumulate median percentile
    quantile diag linalg.solve linalg.inv linalg.det""".split()
    assert set(required) <= set(OPS), set(required) - set(OPS)


def test_views_and_mutations():
    views = {n for n, o in OPS.items() if o.view}
    assert {"reshape", "transpose", "getitem", "real", "imag", "squeeze", "expand_dims",
            "broadcast_to", "diagonal", "swapaxes", "moveaxis", "flip", "ravel"} <= views
    assert OPS["setitem"].mutates == (0,)
    assert "out" in OPS["add"].mutates


def test_register_rejects_duplicates():
    with pytest.raises(ValueError, match="registered twice"):
        register("add", Family.ELEMENTWISE, np.add, OPS["add"].meta)


def test_data_dependent_shape_is_exported():
    assert issubclass(DataDependentShape, Exception)


@pytest.mark.parametrize("path", sorted(GRAPH_DIR.glob("*.py")) + [
    GRAPH_DIR.parent / "backends" / "reference.py"], ids=lambda p: p.name)
def test_module_size_docstring_and_no_native_import(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 500, path
    tree = ast.parse(text)
    assert ast.get_docstring(tree), path
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any("_native" in m or "_kernels" in m for m in imported), path
