"""``import framejit.auto``: whole-program mode with the defaults.

Importing this module calls ``framejit.install()`` (fullgraph=False, backend="kernels",
the default user-code rule): every user function called afterwards, on any thread, is
compiled as under ``framejit.compile``. Importing it again does nothing more (Python
imports a module once); ``framejit.uninstall()`` undoes it, and ``config.disable`` /
``FRAMEJIT_DISABLE=1`` keep it from taking effect.
"""
import framejit as _framejit

_framejit.install()
