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
from .oracle import Model, ModelBreak, Outcome, capture_state, make_inputs, reset_state
from .programs import COLS, ROWS
from .render import Rendered, render

# ------------------------------------------------------------------ running

_counter = [0]


def _exec(source, extra, tag):
    """exec `source` as a module whose file name is registered with linecache."""
    _counter[0] += 1
    filename = os.path.join(os.sep, "framejit_fuzz", f"{tag}_{os.getpid()}_{_counter[0]}.py")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"__name__": f"fjfuzz_{tag}", "__file__": filename}
    ns.update(extra)
    exec(compile(source, filename, "exec"), ns)
    return ns, filename


def _forget(filename):
    linecache.cache.pop(filename, None)


def run_model(prog, rows):
    source, _ = render(prog, "model")
    model = Model()
    ns, fname = _exec(source, {"_M": model}, "model")
    try:
        x, y = make_inputs(prog, rows)
        model.ns = ns
        model.inputs = (x, y)
        model.segment_start = model.snapshot()
        with np.errstate(all="ignore"):
            try:
                value = ns["entry"](x, y)
            except ModelBreak as mb:
                return Outcome("break", mb.site, mb.state, events=model.events)
            except ns["UserError"] as e:
                return Outcome("user", str(e), capture_state(ns, (x, y)), events=model.events)
            except Exception as e:  # the generator made an invalid program
                return Outcome("error", repr(e), capture_state(ns, (x, y)),
                               detail=traceback.format_exc(), events=model.events)
        return Outcome("return", value, capture_state(ns, (x, y)), events=model.events)
    finally:
        _forget(fname)


def _call(ns, x, y, rendered=None, counter=None):
    import framejit as fj
    if counter is not None:
        counter.reset_runs()
    with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = ns["entry"](x, y)
            out = Outcome("return", value)
        except ns["UserError"] as e:
            out = Outcome("user", str(e))
        except fj.GraphBreakError as e:
            site = None
            stack = list(getattr(e, "user_stack", []) or [])
            if stack and rendered is not None:
                site = rendered.line_sites.get(getattr(stack[-1], "lineno", None))
            out = Outcome("break", site, detail=f"{type(e).__name__}: {e}")
        except Exception as e:
            out = Outcome("error", repr(e), detail=traceback.format_exc())
    out.state = capture_state(ns, (x, y))
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


def run_plain(prog, rows):
    import framejit as fj
    source, _ = render(prog, "real")
    prev = fj.config.disable
    fj.config.disable = True
    try:
        ns, fname = _exec(source, {}, "plain")
        x, y = make_inputs(prog, rows)
        return _call(ns, x, y)
    finally:
        fj.config.disable = prev
        _forget(fname)


def _tolerance(prog):
    return None if prog.backend == "eager" else 1e-6


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




def check_program(prog, backend=None, cache_size_limit=64, unique_code=True):
    """Run `prog` plain, in the model and compiled (twice, then another shape).

    Returns (problems, info): problems is a list of strings (empty when framejit behaves
    as SEMANTICS.md says); info has the rendered source and the expected outcomes.

    ``cache_size_limit`` is raised from framejit's default (8) while the compiled runs
    happen: a loop with a break and a list append recompiles once per iteration (a known
    issue, tests/e2e/test_fuzz_regressions.py), and past the limit code runs unoptimized,
    where forbidden breaks no longer raise. ``None`` keeps the configured limit.

    ``unique_code`` shifts the compiled rendering's line numbers per run, so that its code
    objects never compare equal to those of an earlier program in the process: with
    equal code objects (they compare by value, not by file) programs intermittently
    corrupt framejit's state for each other, across reset() (an open bug, see
    tests/fuzz/known_bugs.py). False reproduces that.
    """
    import framejit as fj
    if backend is not None:
        prog = dataclasses.replace(prog, backend=backend)
    tol = _tolerance(prog)
    fj.reset()
    prev_limit = fj.config.cache_size_limit
    if cache_size_limit is not None:
        fj.config.cache_size_limit = cache_size_limit
    try:
        return _check_program(prog, tol, unique_code)
    finally:
        fj.config.cache_size_limit = prev_limit


def _check_program(prog, tol, unique_code):
    import framejit as fj
    from .counting import CountingBackend
    rendered_src, sites = render(prog, "real")
    info = {"source": rendered_src, "expected": {}, "got": []}
    if unique_code:
        _counter[0] += 1
        rendered_src, sites = render(prog, "real", pad=_counter[0] % 9973)
    problems = []
    expected = {}
    for rows in ROWS:
        model = run_model(prog, rows)
        if model.kind == "error":
            raise InvalidProgram(f"the generator made an invalid program (rows={rows}): "
                                 f"{model.value}\n{model.detail}\n{rendered_src}")
        plain = run_plain(prog, rows)
        # the plain run must agree with the model run (same program, markers as no-ops)
        plain_as_model = model if model.kind != "break" else None
        if plain_as_model is not None:
            problems += compare_outcomes(model, plain, None, f"plain (config.disable) rows={rows}")
        elif plain.kind != "return" and plain.kind != "user":
            problems.append(f"plain (config.disable) rows={rows}: {plain.kind} {plain.value!r}")
        expected[rows] = model
        info["expected"][rows] = model
    counter = CountingBackend(prog.backend)
    ns, fname = _exec(rendered_src, {"BACKEND": counter}, "compiled")
    rendered = Rendered(rendered_src, sites, fname)
    try:
        for call_no, rows in enumerate((ROWS[0], ROWS[0], ROWS[1]), 1):
            reset_state(ns)
            x, y = make_inputs(prog, rows)
            got = _call(ns, x, y, rendered, counter)
            info["got"].append(got)
            want = expected[rows]
            label = f"compiled call {call_no} (rows={rows})"
            problems += compare_outcomes(want, got, tol, label)
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
        return f"UserError({o.value!r})"
    return "returns normally"


def standalone(prog, problems=(), info=None):
    """A standalone Python file reproducing a failing program."""
    source, sites = render(prog, "real")
    exp = []
    if info:
        for rows, o in info["expected"].items():
            exp.append(f"#   rows={rows}: {describe_expected(o)}")
    head = ["# framejit fuzz failure (minimised by hypothesis).",
            "# Run: PYTHONPATH=pkg python this_file.py",
            "# Problems:"]
    head += ["#   " + line for p in problems for line in p.splitlines()][:40]
    head += ["# Expected by the oracle (SEMANTICS.md):"] + exp
    head += [f"# Break sites (site -> line): {sites}"]
    tail = textwrap.dedent(f'''

        ROWS = {ROWS!r}
        LAYOUT = {prog.layout!r}
        SEED = {prog.seed!r}
        SPECIAL = {prog.special!r}


        def make_inputs(rows):
            rng = np.random.default_rng(SEED)
            base = rng.standard_normal((rows, {2 * COLS})) * 2.0
            if LAYOUT == "strided":
                x = base[:, ::2]
            elif LAYOUT == "F":
                x = np.asfortranarray(base[:, :{COLS}])
            else:
                x = np.ascontiguousarray(base[:, :{COLS}])
            if SPECIAL == "nan":
                x[0, 0] = np.nan
            elif SPECIAL == "inf":
                x[0, 0] = np.inf
            return x, rng.standard_normal({COLS})


        def run(rows):
            global COUNT
            LOG.clear(); STATE.clear(); STATE["n"] = 0; COUNT = 0
            BUF.seek(0); BUF.truncate(0)
            x, y = make_inputs(rows)
            try:
                with np.errstate(all="ignore"):
                    outcome = ("returns", entry(x, y))
            except Exception as e:
                outcome = ("raises", repr(e)[:300])
            return outcome, dict(LOG=list(LOG), STATE=dict(STATE), COUNT=COUNT,
                                 BUF=BUF.getvalue(), x=x.copy(), y=y.copy())


        if __name__ == "__main__":
            np.set_printoptions(precision=17)
            fj.config.disable = True
            plain = [run(r) for r in ROWS]
            fj.config.disable = False
            compiled = [run(ROWS[0]), run(ROWS[0]), run(ROWS[1])]
            for label, res in [("plain rows=%d" % ROWS[0], plain[0]), ("compiled #1", compiled[0]),
                               ("compiled #2", compiled[1]), ("plain rows=%d" % ROWS[1], plain[1]),
                               ("compiled #3", compiled[2])]:
                print("=" * 20, label)
                print(res[0])
                print(res[1])
    ''')
    return "\n".join(head) + "\n" + source + tail


