"""Static (AST) detection of the constructs a corpus function uses.

Used by the tests to confirm the hand-kept ``COVERAGE`` table (and to regenerate it):
for each case we parse the source of its function and of everything it reaches through
globals, closure cells, ``functools.partial`` objects and instances of corpus classes, and
report which constructs of issue 3 item 1 appear.  Constructs that cannot be recognised
from syntax alone (boolean-mask and integer-array indexing) are kept by hand and listed in
``UNDETECTABLE``.
"""
from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import types

import numpy as np

UNDETECTABLE = frozenset({
    "boolean mask read", "boolean mask write", "integer-array indexing read",
    "integer-array indexing write", "method of a plain class", "in-place mutation of inputs",
})

_BINOPS = {
    ast.Add: "+", ast.Mult: "*", ast.Sub: "-", ast.MatMult: "@", ast.Div: "/", ast.Pow: "**",
    ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>",
}
_ATTRS = {"shape", "dtype", "T", "size", "ndim", "real", "imag"}
_METHODS = {"copy", "astype", "reshape", "sum", "mean", "max", "min"}
_REDUCTIONS = {"sum", "mean", "std", "var", "max", "min", "prod", "cumsum", "argmax", "argmin"}
_NP_CALLS = {
    "zeros", "empty", "ones", "full", "zeros_like", "empty_like", "ones_like", "full_like",
    "arange", "linspace", "eye", "sum", "mean", "std", "var", "max", "min", "prod", "cumsum",
    "argmax", "argmin", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "arctan2", "abs",
    "power", "maximum", "minimum", "clip", "where", "dot", "matmul", "outer", "triu", "tril",
    "transpose", "reshape", "flip", "concatenate", "stack", "hstack", "vstack", "repeat", "tile",
    "logical_and", "logical_or", "logical_not", "float32", "float64", "int32", "int64",
    "complex128",
}
_NP_ATTRS = {"pi", "e", "newaxis"}
_BUILTINS = {"range", "len", "abs", "max", "min", "iter", "next", "enumerate", "zip", "isinstance"}


def _is_np(node):
    return isinstance(node, ast.Name) and node.id == "np"


def _np_attr(node):
    """'sum' for ``np.sum``, 'add.outer' for ``np.add.outer``, else None."""
    if isinstance(node, ast.Attribute):
        if _is_np(node.value):
            return node.attr
        if isinstance(node.value, ast.Attribute) and _is_np(node.value.value):
            return f"{node.value.attr}.{node.attr}"
    return None


def _is_neg(node):
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)


def _index_parts(sl):
    return list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]


class _Visitor(ast.NodeVisitor):
    def __init__(self):
        self.found = set()
        self.range_vars = set()

    # the loop variables of ``for i in range(...)`` are trace-time ints
    def visit_For(self, node):
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            for t in ast.walk(node.target):
                if isinstance(t, ast.Name):
                    self.range_vars.add(t.id)
            self.found.add("for over range")
        elif isinstance(it, (ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Subscript, ast.Call)):
            self.found.add("for over tuple/list/iterator")
        self.generic_visit(node)

    def _intlike(self, n):
        if isinstance(n, ast.Constant):
            return isinstance(n.value, int) and not isinstance(n.value, bool)
        if _is_neg(n):
            return self._intlike(n.operand)
        if isinstance(n, ast.Name):
            return n.id in self.range_vars
        if isinstance(n, ast.BinOp):
            return self._intlike(n.left) and self._intlike(n.right)
        return False

    def visit_BinOp(self, node):
        self.found.add(_BINOPS[type(node.op)])
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.found.add(_BINOPS[type(node.op)])
        if isinstance(node.target, ast.Name):
            self.found.add("augmented assignment on names")
        elif isinstance(node.target, ast.Subscript):
            self.found.add("augmented assignment on subscripts")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
            self.found.add("unary -")
        if isinstance(node.op, ast.Invert):
            self.found.add("~")
        self.generic_visit(node)

    def visit_Compare(self, node):
        for op in node.ops:
            if isinstance(op, (ast.Is, ast.IsNot)):
                if any(isinstance(c, ast.Constant) and c.value is None for c in node.comparators):
                    self.found.add("is None")
            elif isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE, ast.Eq, ast.NotEq)):
                self.found.add("comparisons")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        store = isinstance(node.ctx, ast.Store) or getattr(node, "_aug", False)
        parts = _index_parts(node.slice)
        on_shape = isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
        if parts and not on_shape and all(self._intlike(p) for p in parts):
            self.found.add("element write" if store else "element read")
        for p in parts:
            if isinstance(p, ast.Slice):
                if _is_neg(p.lower) or _is_neg(p.upper):
                    self.found.add("negative-bound slice write" if store else "negative-bound slice read")
                if _is_neg(p.step):
                    self.found.add("negative step")
            if (isinstance(p, ast.Constant) and p.value is None) or (
                    isinstance(p, ast.Attribute) and _np_attr(p) == "newaxis"):
                self.found.add("newaxis")
            if isinstance(p, ast.Constant) and p.value is Ellipsis:
                self.found.add("...")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        name = _np_attr(node)
        if name in _NP_ATTRS:
            self.found.add(f"np.{name}")
        if not _is_np(node.value) and node.attr in _ATTRS and _np_attr(node) is None:
            self.found.add(f".{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        kw = {k.arg for k in node.keywords}
        name = _np_attr(f)
        reduction = False
        if name is not None:
            if name in _NP_CALLS:
                self.found.add(f"np.{name}")
            if name == "add.outer":
                self.found.add("np.add.outer")
            reduction = name in _REDUCTIONS
            ufunc = getattr(np, name, None) if "." not in name else None
            if isinstance(ufunc, np.ufunc):
                for k in ("out", "where", "dtype"):
                    if k in kw:
                        self.found.add(f"ufunc {k}=")
        elif isinstance(f, ast.Attribute):
            if f.attr in _METHODS:
                self.found.add(f".{f.attr}()")
            reduction = f.attr in _REDUCTIONS
        elif isinstance(f, ast.Name) and f.id in _BUILTINS:
            self.found.add("iter/next" if f.id in ("iter", "next") else f.id)
        if reduction:
            for k in node.keywords:
                if k.arg == "axis":
                    v = k.value
                    self.found.add("reduction axis=tuple" if isinstance(v, ast.Tuple) else "reduction axis=int")
                elif k.arg in ("keepdims", "dtype"):
                    self.found.add(f"reduction {k.arg}=")
        self.generic_visit(node)

    def visit_JoinedStr(self, node):
        self.found.add("f-string")
        self.generic_visit(node)

    def visit_Lambda(self, node):
        self.found.add("lambda")
        self.generic_visit(node)

    def visit_ListComp(self, node):
        self.found.add("list comprehension")
        self.generic_visit(node)

    def visit_If(self, node):
        self.found.add("if on shape/dtype/constant")
        self.generic_visit(node)

    def visit_Return(self, node):
        v = node.value
        if isinstance(v, ast.Dict):
            self.found.add("dict output")
        elif isinstance(v, ast.List):
            self.found.add("list output")
        elif isinstance(v, ast.Tuple):
            self.found.add("tuple output")
        self.generic_visit(node)


def _mark_aug_targets(tree):
    for n in ast.walk(tree):
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Subscript):
            n.target._aug = True


def _parse(obj):
    try:
        src = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return None
    try:
        return ast.parse(src)
    except SyntaxError:
        # a lambda in the middle of an expression: parse just from ``lambda``
        i = src.find("lambda")
        for end in range(len(src), i, -1):
            try:
                return ast.parse(src[i:end].strip().rstrip(","))
            except SyntaxError:
                continue
    return None


def reachable(fn):
    """Functions reachable from ``fn`` (itself first) and the kinds of callables met."""
    seen, kinds, out = set(), set(), []
    corpus_pkg = __name__.rsplit(".", 1)[0]

    def visit(obj):
        if isinstance(obj, functools.partial):
            kinds.add("functools.partial")
            visit(obj.func)
            return
        if isinstance(obj, types.MethodType):
            visit(obj.__func__)
            return
        if isinstance(obj, type) or not callable(obj) and not hasattr(obj, "__dict__"):
            return
        if not isinstance(obj, types.FunctionType):
            cls = type(obj)
            if getattr(cls, "__module__", "").startswith(corpus_pkg) and cls.__module__ != __name__:
                kinds.add("method of a plain class")
                for k, v in vars(cls).items():
                    if isinstance(v, types.FunctionType) and k != "__init__":
                        visit(v)
            return
        if id(obj) in seen:
            return
        seen.add(id(obj))
        out.append(obj)
        if obj.__name__ == "<lambda>":
            kinds.add("lambda")
        if obj.__closure__:
            kinds.add("closure")
            for cell in obj.__closure__:
                try:
                    visit(cell.cell_contents)
                except ValueError:
                    pass
        names = set()
        stack = [obj.__code__]
        while stack:
            co = stack.pop()
            names.update(co.co_names)
            stack.extend(c for c in co.co_consts if isinstance(c, types.CodeType))
        for n in names:
            if n in obj.__globals__:
                visit(obj.__globals__[n])

    visit(fn)
    if len(out) > 1:
        kinds.add("helper inlining")
    return out, kinds


def detect(fn):
    """The set of construct names (see ``coverage.REQUIRED_CONSTRUCTS``) used by ``fn``."""
    funcs, found = reachable(fn)
    found = set(found)
    for f in funcs:
        tree = _parse(f)
        if tree is None:
            continue
        _mark_aug_targets(tree)
        v = _Visitor()
        # first pass collects range loop variables, second pass uses them
        v.visit(tree)
        v.found.clear()
        v.visit(tree)
        found |= v.found
    return found
