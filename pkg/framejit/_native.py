"""The sole importer of framejit's compiled extensions; build facts for build_info().

The extensions are required: there is no pure-Python fallback. An import failure says
how to build them.
"""
import sys

try:
    from . import _modes, _guards, _evalframe, _kernels
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "framejit's compiled extensions are missing or do not load "
        f"({exc}); install with `pip install .` (a C compiler is needed at install time)"
    ) from exc

try:
    from . import _build_config
except ImportError:  # pragma: no cover
    _build_config = None

from .config import _bind_disable_mirror, _bind_mirror

_bind_disable_mirror(_modes.set_plain)
_bind_mirror("output_cache_bytes", lambda v: _kernels.cache_limit(nbytes=v))
_bind_mirror("output_cache_per_size", lambda v: _kernels.cache_limit(per_size=v))

HAVE_OPENMP = bool(getattr(_build_config, "HAVE_OPENMP", False))


def build_info():
    """What this build of framejit found and uses."""
    import numpy
    info = {
        "version": "0.1.0",
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "openmp": HAVE_OPENMP,
        "openmp_probe": getattr(_build_config, "OPENMP_PROBE", "unknown"),
        "compiler_type": getattr(_build_config, "COMPILER_TYPE", "unknown"),
        "kernels": True,
        "hook_installed": _evalframe.is_installed(),
    }
    if hasattr(_kernels, "max_threads"):
        info["max_threads"] = _kernels.max_threads()
    return info
