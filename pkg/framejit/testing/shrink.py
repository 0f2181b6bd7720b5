"""Greedy delta debugging of failing programs (for campaigns; hypothesis shrinks its own)."""
import copy
import dataclasses

from .harness import InvalidProgram, check_program
from .programs import walk


def _signature(problems):
    import re
    lines = problems[0].split("\n")
    first = lines[0].split("): ", 1)[-1]
    sig = re.sub(r"[-+\d.e]+|'[^']*'|\"[^\"]*\"|\(.*", "#", first)[:50]
    for line in lines[1:3]:
        if "graph break (" in line:
            sig += " " + line.strip()[:60]
    return sig


def _stmt_lists(prog):
    """Every statement list of the program (function bodies, block bodies)."""
    for f in prog.functions():
        yield f.body
        for s in walk(f.body):
            yield s.body
            yield s.orelse
            yield s.final


def shrink_program(prog, problems=None, max_rounds=30):
    """Greedy delta debugging on the program AST, keeping the failure's signature.

    hypothesis shrinks the programs it finds by itself; this is for failures found by a
    campaign over ``random_program`` seeds (docs/fuzzing.md)."""
    if problems is None:
        problems, _ = check_program(prog)
    if not problems:
        return prog, problems
    sig = _signature(problems)

    def still_fails(candidate):
        try:
            probs, _ = check_program(candidate)
        except InvalidProgram:
            return None
        except Exception:
            return None
        if probs and _signature(probs) == sig:
            return probs
        return None

    best, best_probs = prog, problems
    for _ in range(max_rounds):
        improved = False
        # program-level simplifications
        for field, value in (("outer", None), ("special", ""), ("layout", "C"),
                             ("backend", "eager"), ("buf_param", False), ("seed", 0),
                             ("cache_limit", 64)):
            if getattr(best, field) != value:
                cand = dataclasses.replace(best, **{field: value})
                p = still_fails(cand)
                if p:
                    best, best_probs, improved = cand, p, True
        for i in reversed(range(len(best.calls))):     # fewer calls
            if len(best.calls) > 1:
                cand = dataclasses.replace(best, calls=best.calls[:i] + best.calls[i + 1:])
                p = still_fails(cand)
                if p:
                    best, best_probs, improved = cand, p, True
        for i in range(len(best.helpers)):
            cand = copy.deepcopy(best)
            del cand.helpers[i]
            p = still_fails(cand)
            if p:
                best, best_probs, improved = cand, p, True
                break
        for i, h in enumerate(best.helpers):
            if h.deco is not None:
                cand = copy.deepcopy(best)
                cand.helpers[i].deco = None
                p = still_fails(cand)
                if p:
                    best, best_probs, improved = cand, p, True
        # statement deletions and block inlining
        n_lists = len(list(_stmt_lists(best)))
        for li in range(n_lists):
            j = 0
            while True:
                lists = list(_stmt_lists(best))
                if li >= len(lists) or j >= len(lists[li]):
                    break
                done = False
                for mode in ("delete", "inline", "noelse"):
                    cand = copy.deepcopy(best)
                    target = list(_stmt_lists(cand))[li]
                    s = target[j]
                    if mode == "delete":
                        del target[j]
                    elif mode == "inline" and (s.body or s.orelse) and s.kind not in (
                            "call", "closure", "except"):
                        if s.kind == "ifpy" and s.body and s.body[0].kind == "raise":
                            continue
                        if s.kind == "try":
                            target[j:j + 1] = s.body + s.final
                        else:
                            target[j:j + 1] = s.body + s.orelse
                    elif mode == "noelse" and s.orelse and s.kind != "try":
                        s.orelse = []
                    elif mode == "noelse" and s.kind == "try" and s.final and s.orelse:
                        s.final = []
                    else:
                        continue
                    p = still_fails(cand)
                    if p:
                        best, best_probs, improved, done = cand, p, True, True
                        break
                if not done:
                    j += 1
        if not improved:
            break
    return best, best_probs

