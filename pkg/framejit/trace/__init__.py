"""framejit.trace: the symbolic bytecode tracer.

Entry points (trace/api.py): ``trace_frame(code, globals, builtins, closure, slots,
mode_stack) -> TraceResult`` and ``build_callable(result, backend) -> fn(*slots)``.
Layout: tracer.py (frames, step loop), handlers*.py (opcode dispatch table), values.py /
sources.py / wrap.py (symbolic values, where they come from, guards), operators.py,
attrs.py, subscript.py, calls.py, builtins_rules.py, array_methods.py, iteration.py,
numpy_rules.py (semantics as tables), breaks.py / errors.py (graph breaks), markers.py
(framejit's own objects), finish.py / result.py (plain-data output), codegen.py
(replacement bytecode). See docs/internals.md for the seams.
"""
