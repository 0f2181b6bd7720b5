"""Regenerate ``coverage.py``: ``python tests/e2e/corpus/_gen_coverage.py``.

Detected constructs come from ``_detect.detect``; ``HAND`` adds what syntax cannot show.
Review the diff: the table should only name cases that really use each construct.
"""
import os
import pprint
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import corpus  # noqa: E402
from corpus._detect import detect, UNDETECTABLE  # noqa: E402,F401

REQUIRED = [
    # operators
    "+", "*", "-", "@", "/", "**", "//", "%", "unary -", "&", "|", "^", "~", "<<", ">>", "comparisons",
    # indexing and assignment
    "element read", "element write", "negative-bound slice read", "negative-bound slice write",
    "newaxis", "boolean mask read", "boolean mask write", "integer-array indexing read",
    "integer-array indexing write", "augmented assignment on names", "augmented assignment on subscripts",
    # ndarray attributes and methods
    ".shape", ".dtype", ".T", ".size", ".ndim", ".copy()", ".astype()", ".reshape()", ".sum()",
    ".mean()", ".max()", ".min()",
    # creation
    "np.zeros", "np.empty", "np.ones", "np.full", "np.zeros_like", "np.empty_like", "np.ones_like",
    "np.full_like", "np.arange", "np.linspace", "np.eye",
    # reductions
    "np.sum", "np.mean", "np.std", "np.var", "np.max", "np.min", "np.prod", "np.cumsum", "np.argmax",
    "np.argmin", "reduction axis=int", "reduction axis=tuple", "reduction keepdims=", "reduction dtype=",
    # elementwise
    "np.sqrt", "np.exp", "np.log", "np.sin", "np.cos", "np.tan", "np.tanh", "np.arctan2", "np.abs",
    "np.power", "np.maximum", "np.minimum", "np.clip", "np.where",
    # linear algebra and shape manipulation
    "np.dot", "np.matmul", "np.outer", "np.triu", "np.tril", "np.transpose", "np.reshape", "np.flip",
    "np.concatenate", "np.stack", "np.hstack", "np.vstack", "np.repeat", "np.tile",
    "np.logical_and", "np.logical_or", "np.logical_not", "np.add.outer",
    # scalar types and constants
    "np.float32", "np.float64", "np.int32", "np.int64", "np.complex128", "np.pi", "np.e", "np.newaxis",
    # builtins
    "range", "len", "abs", "max",
]
EXTRA = [
    "ufunc out=", "ufunc where=", "ufunc dtype=", "...", "negative step", ".real", ".imag",
    "min", "iter/next", "enumerate", "zip", "isinstance", "is None", "f-string",
    "for over range", "for over tuple/list/iterator", "if on shape/dtype/constant",
    "helper inlining", "closure", "lambda", "functools.partial", "method of a plain class",
    "list comprehension", "tuple output", "list output", "dict output", "in-place mutation of inputs",
]
HAND = {
    "boolean mask read": ["mean_of_positive", "sigma_clipped_mean", "reflecting_walls"],
    "boolean mask write": ["boolean_mask_writes", "reflecting_walls"],
    "integer-array indexing read": ["bootstrap_means", "cross_entropy_gather", "knn_vote", "embedding_bag",
                                    "integer_array_writes", "gather_rows_cols", "closure_global_lookup",
                                    "rolling_window_by_stride_free"],
    "integer-array indexing write": ["cross_entropy_gather", "label_smoothing_loss", "integer_array_writes"],
    "method of a plain class": ["mlp_forward_arg", "adagrad_two_steps"],
    "in-place mutation of inputs": [c.name for c in corpus.CASES if c.mutates],
}
table = {k: [] for k in REQUIRED + EXTRA}
for c in corpus.CASES:
    for k in detect(c.fn):
        if k in table:
            table[k].append(c.name)
for k, v in HAND.items():
    for n in v:
        assert n in corpus.CASES_BY_NAME, n
        if n not in table[k]:
            table[k].append(n)
missing = [k for k in REQUIRED + EXTRA if not table[k]]
print("MISSING", missing, file=sys.stderr)
undetected = set(table) - UNDETECTABLE
out = ['"""Which corpus cases use which construct of issue 3 item 1.',
       '',
       '``REQUIRED_CONSTRUCTS`` is the list "at minimum, every NumPy construct in this list ...',
       'compiles" of issue 3 item 1 (boolean masks and integer-array indexing split into read and',
       'write); ``EXTRA_CONSTRUCTS`` are further constructs named in the same item.  ``COVERAGE``',
       'maps each to the names of the cases that use it.  The table was generated with',
       '``corpus._detect.detect`` plus hand entries for what syntax cannot show',
       '(``_detect.UNDETECTABLE``); ``tests/e2e/test_corpus.py`` re-checks every entry.',
       '"""', '',
       'REQUIRED_CONSTRUCTS = ' + pprint.pformat(tuple(REQUIRED), width=100, compact=True), '',
       'EXTRA_CONSTRUCTS = ' + pprint.pformat(tuple(EXTRA), width=100, compact=True), '',
       'COVERAGE = {']
for k in REQUIRED + EXTRA:
    body = pprint.pformat(table[k], width=92, compact=True)
    body = body.replace("\n", "\n    ")
    out.append(f"    {k!r}: {body},")
out.append("}")
open(os.path.join(HERE, "coverage.py"), "w").write("\n".join(out) + "\n")
for k in REQUIRED + EXTRA:
    print(f"{len(table[k]):4d}  {k}")
