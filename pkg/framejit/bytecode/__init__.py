"""framejit.bytecode: decode, analyse and assemble CPython bytecode (stdlib + ``bytecode``).

compat.py (the only place that reads the Python version), instructions.py (decode),
analysis.py (jump targets, liveness, stack depth), assemble.py (to code objects).
"""
