"""Running a Program plain, in the oracle's model and compiled, and comparing; standalone
reproducer files (see framejit.testing.programs)."""
import dataclasses
import linecache
import os
import textwrap
import traceback
import warnings

import numpy as np

from .compare import values_equal
from .oracle import (Model, ModelBreak, Outcome, call_args, capture_state, inputs_for,
                     make_inputs, reset_state)
from .programs import COLS
from .render import Rendered, render

# exceptions a generated program may end with (raised by its code or by Python/NumPy)
PROGRAM_EXCEPTIONS = ("UserError", "OtherError", "ZeroDivisionError", "IndexError")


def _program_exceptions(ns):
    import builtins
    return tuple(ns[n] if n in ns else getattr(builtins, n) for n in PROGRAM_EXCEPTIONS)


def _user(e):
    return Outcome("user", f"{type(e).__name__}: {e}")


# ------------------------------------------------------------------ running

_counter = [0]


_compiled = {}      # (tag, source) -> (code, filename) of the model / plain runs


def _exec(source, extra, tag):
    """exec `source` as a module whose file name is registered with linecache. The model
    and plain renderings are compiled once per program (their calls exec the same code
    object in fresh namespaces)."""
    hit = _compiled.get((tag, source)) if tag in ("model", "plain") else None
    if hit is None:
        _counter[0] += 1
        filename = os.path.join(os.sep, "framejit_fuzz", f"{tag}_{os.getpid()}_{_counter[0]}.py")
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        hit = (compile(source, filename, "exec"), filename)
        if tag in ("model", "plain"):
            if len(_compiled) > 64:           # direct run_model/run_plain callers
                _forget_compiled()
            _compiled[(tag, source)] = hit
    code, filename = hit
    ns = {"__name__": f"fjfuzz_{tag}", "__file__": filename}
    ns.update(extra)
    exec(code, ns)
    return ns, filename


def _forget(filename):
    if not any(f == filename for _, f in _compiled.values()):
        linecache.cache.pop(filename, None)


def _forget_compiled():
    for _, filename in _compiled.values():
        linecache.cache.pop(filename, None)
    _compiled.clear()


def run_model(prog, call):
    """The oracle's outcome of one call (a programs.Call, or a row count)."""
    source, _ = render(prog, "model")
    model = Model()
    ns, fname = _exec(source, {"_M": model}, "model")
    try:
        inputs = make_inputs(prog, call)
        model.ns = ns
        model.inputs = inputs
        model.segment_start = model.snapshot()
        with np.errstate(all="ignore"):
            try:
                value = ns["entry"](*inputs)
            except ModelBreak as mb:    # the state was put back when it left the frame
                out = Outcome("break", mb.site)
            except _program_exceptions(ns) as e:
                out = _user(e)
            except Exception as e:  # the generator made an invalid program
                out = Outcome("error", repr(e), detail=traceback.format_exc())
            else:
                out = Outcome("return", value)
        out.state = capture_state(ns, inputs)
        out.events = model.events
        out.flags = frozenset(model.flags)
        return out
    finally:
        _forget(fname)


def _call(ns, inputs, rendered=None, counter=None):
    import framejit as fj
    if counter is not None:
        counter.reset_runs()
    with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = ns["entry"](*inputs)
            out = Outcome("return", value)
        except _program_exceptions(ns) as e:
            out = _user(e)
        except fj.GraphBreakError as e:
            site = None
            stack = list(getattr(e, "user_stack", []) or [])
            if stack and rendered is not None:
                site = rendered.line_sites.get(getattr(stack[-1], "lineno", None))
            out = Outcome("break", site, detail=f"{type(e).__name__}: {e}")
        except Exception as e:
            out = Outcome("error", repr(e), detail=traceback.format_exc())
    out.state = capture_state(ns, inputs)
    leak = mode_stack_leak()
    if leak:
        out.kind, out.value = "error", leak
        out.detail += "\n" + leak
    if counter is not None:
        out.graph_runs = counter.runs
    cache_warnings = [str(w.message) for w in caught if "cache_size_limit" in str(w.message)]
    if cache_warnings:
        out.detail += "\n(cache_size_limit reached: " + cache_warnings[0] + ")"
    return out


def mode_stack_leak():
    """framejit's run-time mode stack must be empty between top-level calls (its entries
    unwind on exceptions). A health check of the harness, not part of the oracle."""
    from .. import _modes
    depth = _modes.depth()
    if depth == 0:
        try:   # framejit's own record of tokens for entries its resume code pushed
            from ..trace import modeops
            stale = dict(getattr(modeops._local, "tokens", None) or {})
        except Exception:
            stale = {}
        if stale:
            return (f"framejit's mode stack is empty after the call but the tracer's token "
                    f"table still holds {len(stale)} entr{'y' if len(stale) == 1 else 'ies'} "
                    f"({sorted(stale)}): a later pop of that depth uses a stale token")
        return None
    return (f"framejit's mode stack leaked {depth} entr{'y' if depth == 1 else 'ies'} "
            f"after the call returned: {_modes.stack()} (later calls in this thread "
            "resolve modes wrongly)")


def run_plain(prog, call):
    import framejit as fj
    source, _ = render(prog, "real")
    prev = fj.config.disable
    fj.config.disable = True
    try:
        ns, fname = _exec(source, {}, "plain")
        return _call(ns, make_inputs(prog, call))
    finally:
        fj.config.disable = prev
        _forget(fname)


def _tolerance(prog, call):
    if prog.backend == "eager":
        return None
    return 1e-4 if call.dtype == "float32" else 1e-6


def describe_call(prog, call):
    rows, dtype, layout, seed, special, scalars = call_args(prog, call)
    args = "".join(f", {n}={v!r}" for (n, _), v in zip(prog.scalars, scalars))
    return f"rows={rows}{'' if dtype == 'float64' else ', ' + dtype}{args}"


def compare_outcomes(want, got, tol, label, compare_site=True):
    """Differences between an expected and an observed outcome."""
    probs = []
    if want.kind != got.kind:
        probs.append(f"{label}: outcome {got.kind} {got.value!r} != expected {want.kind} "
                     f"{want.value!r}" + (f"\n    {got.detail.strip()[-1500:]}" if got.detail else ""))
        return probs
    if want.kind == "break" and compare_site and want.value != got.value:
        probs.append(f"{label}: GraphBreakError at site {got.value} != expected site {want.value}"
                     f"\n    {got.detail.strip()[:1500]}")
    if want.kind in ("user", "error") and want.value != got.value:
        probs.append(f"{label}: exception {got.value!r} != expected {want.value!r}")
    if want.kind == "return":
        probs += values_equal(want.value, got.value, tol, f"{label}: result")
    for key in want.state:
        probs += values_equal(want.state[key], got.state[key], tol, f"{label}: {key}")
    return probs




def check_program(prog, backend=None, cache_size_limit="program", unique_code=True):
    """Run `prog` plain, in the model and compiled, once per call of ``prog.call_list()``
    (by default: twice the same inputs, then another shape; generated programs make 3 to
    ``max_calls`` calls with other scalars, data, shapes, dtypes, layouts).

    Returns (problems, info): problems is a list of strings (empty when framejit behaves
    as SEMANTICS.md says); info has the rendered source and the expected outcomes.

    ``cache_size_limit``: config.cache_size_limit while the compiled calls run: the
    program's ``cache_limit`` (8, framejit's default, or 64) by default; ``None`` keeps
    the configured limit. Past the limit a frame runs unoptimized, but calls under a
    strict mode are still traced, so the oracle is the same (SEMANTICS §3).

    ``unique_code`` shifts the compiled rendering's line numbers per run, so that its code
    objects never compare equal to those of an earlier program in the process: with
    equal code objects (they compare by value, not by file) programs intermittently
    corrupt framejit's state for each other, across reset() (an open bug, see
    tests/fuzz/known_bugs.py). False reproduces that.
    """
    import framejit as fj
    if backend is not None:
        prog = dataclasses.replace(prog, backend=backend)
    if cache_size_limit == "program":
        cache_size_limit = prog.cache_limit
    fj.reset()
    prev_limit = fj.config.cache_size_limit
    if cache_size_limit is not None:
        fj.config.cache_size_limit = cache_size_limit
    try:
        problems, info = _check_program(prog, unique_code)
        if problems and prog.backend == "kernels" and _numerical(problems):
            # the oracle cannot judge rounding: a data-dependent branch on a value that
            # the kernels backend rounds differently (an exact 0 from cancellation), a
            # transcendental of a huge argument fed back into arithmetic. Excused when
            # the same program is exact on the eager backend.
            fj.reset()
            eager, _ = _check_program(dataclasses.replace(prog, backend="eager"), unique_code)
            if not eager:
                info["kernels_rounding"] = problems
                problems = []
        return problems, info
    finally:
        fj.config.cache_size_limit = prev_limit
        _forget_compiled()


def _numerical(problems):
    """Problems that rounding can explain: not a dtype, shape, type or graph count."""
    return not any(w in p for p in problems
                   for w in (": dtype ", ": shape ", ": type ", "graphs (SEMANTICS"))


def _check_program(prog, unique_code):
    import framejit as fj
    from .counting import CountingBackend
    rendered_src, sites = render(prog, "real")
    info = {"source": rendered_src, "expected": {}, "got": []}
    if unique_code:
        _counter[0] += 1
        rendered_src, sites = render(prog, "real", pad=_counter[0] % 9973)
    problems = []
    calls = prog.call_list()
    for call in calls:
        if call in info["expected"]:
            continue
        model = run_model(prog, call)
        label = describe_call(prog, call)
        if model.kind == "error":
            raise InvalidProgram(f"the generator made an invalid program ({label}): "
                                 f"{model.value}\n{model.detail}\n{rendered_src}")
        plain = run_plain(prog, call)
        # the plain run must agree with the model run (same program, markers as no-ops)
        if model.kind != "break":
            problems += compare_outcomes(model, plain, None, f"plain (config.disable) {label}")
        elif plain.kind != "return" and plain.kind != "user":
            problems.append(f"plain (config.disable) {label}: {plain.kind} {plain.value!r}")
        info["expected"][call] = model
    counter = CountingBackend(prog.backend)
    ns, fname = _exec(rendered_src, {"BACKEND": counter}, "compiled")
    rendered = Rendered(rendered_src, sites, fname)
    try:
        for call_no, call in enumerate(calls, 1):
            reset_state(ns)
            got = _call(ns, make_inputs(prog, call), rendered, counter)
            info["got"].append(got)
            want = info["expected"][call]
            label = f"compiled call {call_no} ({describe_call(prog, call)})"
            problems += compare_outcomes(want, got, _tolerance(prog, call), label)
            if (prog.root_fullgraph and not prog.has_relax() and got.kind == "return"
                    and want.kind == "return" and got.graph_runs != 1):
                problems.append(f"{label}: fullgraph=True root ran {got.graph_runs} graphs "
                                f"(SEMANTICS §3: exactly one)")
            if problems:
                break
    finally:
        _forget(fname)
        fj.reset()
    info["graphs_compiled"] = len(counter.graphs)
    return problems, info


class InvalidProgram(Exception):
    """The generator produced a program that fails in plain Python (a fuzzer bug)."""


# ------------------------------------------------------------------ repro files

def describe_expected(o):
    if o.kind == "break":
        return f"GraphBreakError at break site {o.value}"
    if o.kind == "user":
        return f"raises {o.value}"
    return "returns normally"


def standalone(prog, problems=(), info=None):
    """A standalone Python file reproducing a failing program."""
    import inspect
    source, sites = render(prog, "real")
    calls = [call_args(prog, c) for c in prog.call_list()]
    exp = []
    if info:
        for call, o in info["expected"].items():
            exp.append(f"#   {describe_call(prog, call)}: {describe_expected(o)}")
    head = ["# framejit fuzz failure (minimised).",
            "# Run: PYTHONPATH=pkg python this_file.py",
            "# Problems:"]
    head += ["#   " + line for p in problems for line in p.splitlines()][:40]
    head += ["# Expected by the oracle (SEMANTICS.md):"] + exp
    head += [f"# Break sites (site -> line): {sites}"]
    tail = "\n\nfj.config.cache_size_limit = %d\n" % prog.cache_limit
    tail += "COLS = %d\n# (rows, dtype, layout, seed, special, scalars) of each call\n" % COLS
    tail += "CALLS = [\n" + "".join(f"    {c!r},\n" for c in calls) + "]\n\n\n"
    tail += inspect.getsource(inputs_for)
    tail += textwrap.dedent('''

        def run(call):
            global COUNT
            LOG.clear(); STATE.clear(); STATE["n"] = 0; COUNT = 0
            BUF.seek(0); BUF.truncate(0)
            args = inputs_for(*call)
            try:
                with np.errstate(all="ignore"):
                    outcome = ("returns", entry(*args))
            except Exception as e:
                outcome = ("raises", repr(e)[:300])
            return outcome, dict(LOG=list(LOG), STATE=dict(STATE), COUNT=COUNT,
                                 BUF=BUF.getvalue(), x=args[0].copy(), y=args[1].copy())


        if __name__ == "__main__":
            np.set_printoptions(precision=17)
            fj.config.disable = True
            plain = [run(c) for c in CALLS]
            fj.config.disable = False
            compiled = [run(c) for c in CALLS]
            for k, (p, c) in enumerate(zip(plain, compiled), 1):
                print("=" * 20, "call", k, CALLS[k - 1][:1] + CALLS[k - 1][5:])
                for label, res in (("plain", p), ("compiled", c)):
                    print("--", label, res[0])
                    print("  ", res[1])
    ''')
    return "\n".join(head) + "\n" + source + tail
