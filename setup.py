"""Build framejit's Cython extensions.

Every ``pyx/<name>.pyx`` becomes the extension ``framejit.<name>``. OpenMP is used when a
probe program compiles, links and runs with it; ``FRAMEJIT_NO_OPENMP=1`` forces a serial
build. What the probe found is written to ``framejit/_build_config.py`` so that
``framejit.build_info()`` can report it. ``-ffast-math`` is never used: NaN and inf must
behave as in NumPy.
"""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

_OMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n);
    return n > 0 ? 0 : 1;
}
"""

# Per compiler_type: (compile flags, link flags) that turn OpenMP on.
_OPENMP_FLAGS = {
    "unix": (["-fopenmp"], ["-fopenmp"]),
    "msvc": (["/openmp"], []),
}

_BASE_FLAGS = {
    "unix": ["-O3", "-fno-strict-aliasing", "-Wno-unused-function", "-Wno-unreachable-code"],
    "msvc": ["/O2"],
}


def _probe_openmp(compiler_type):
    """True when a tiny OpenMP program compiles, links and runs here."""
    if os.environ.get("FRAMEJIT_NO_OPENMP") == "1":
        return False, "disabled by FRAMEJIT_NO_OPENMP=1"
    flags = _OPENMP_FLAGS.get(compiler_type)
    if flags is None:
        return False, f"no OpenMP flags known for compiler type {compiler_type!r}"
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    tmp = tempfile.mkdtemp(prefix="fj_omp_probe_")
    try:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as fh:
            fh.write(_OMP_PROBE)
        try:
            subprocess.run(cc + flags[0] + [src, "-o", exe] + flags[1], check=True,
                           capture_output=True, timeout=120)
            out = subprocess.run([exe], check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"probe failed: {exc}"
        return True, f"probe ran with {out.stdout.decode().strip()} thread(s)"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """Adds per-compiler flags and the OpenMP probe result to every extension."""

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        have_omp, why = _probe_openmp(ctype)
        cflags = list(_BASE_FLAGS.get(ctype, []))
        lflags = []
        if have_omp:
            cflags += _OPENMP_FLAGS[ctype][0]
            lflags += _OPENMP_FLAGS[ctype][1]
        self._force_on_flag_change(cflags + lflags)
        for ext in self.extensions:
            ext.extra_compile_args = cflags + list(ext.extra_compile_args or [])
            ext.extra_link_args = lflags + list(ext.extra_link_args or [])
        _write_build_config(self.build_lib, have_omp, why, ctype)
        super().build_extensions()


    def _force_on_flag_change(self, flags):
        """Rebuild everything when the flags differ from the last build in this tree (an
        OpenMP build must not be reused by a FRAMEJIT_NO_OPENMP=1 build, and back)."""
        stamp = os.path.join(self.build_temp, "framejit-flags.txt")
        text = " ".join(flags)
        old = open(stamp).read() if os.path.exists(stamp) else None
        if old != text:
            self.force = True
            os.makedirs(self.build_temp, exist_ok=True)
            with open(stamp, "w") as fh:
                fh.write(text)


def _write_build_config(build_lib, have_omp, why, ctype):
    text = (
        '"""Written by setup.py at build time: what the build found."""\n'
        f"HAVE_OPENMP = {have_omp!r}\n"
        f"OPENMP_PROBE = {why!r}\n"
        f"COMPILER_TYPE = {ctype!r}\n"
        f"PYTHON = {sys.version.split()[0]!r}\n"
    )
    for root in {build_lib, os.path.join(HERE, "pkg")}:
        target = os.path.join(root, "framejit", "_build_config.py")
        if os.path.isdir(os.path.dirname(target)):
            with open(target, "w") as fh:
                fh.write(text)


def _extensions():
    include_dirs = [os.path.join(HERE, "include"), numpy.get_include()]
    exts = []
    # FRAMEJIT_BUILD_ONLY=_kernels,_guards limits a development build to some modules.
    only = {m for m in os.environ.get("FRAMEJIT_BUILD_ONLY", "").split(",") if m}
    for path in sorted(glob.glob(os.path.join("pyx", "*.pyx"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if only and name not in only:
            continue
        exts.append(Extension(
            f"framejit.{name}", [path],
            include_dirs=include_dirs,
            # header-only C: a changed header must rebuild the module that includes it
            depends=sorted(glob.glob(os.path.join("include", "framejit", "*"))),
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        ))
    return cythonize(
        exts,
        include_path=[os.path.join(HERE, "pyx"), os.path.join(HERE, "pyx", "decl")],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
        },
        build_dir="build/cython",
    )


setup(
    package_dir={"": "pkg"},
    packages=[
        "framejit", "framejit.graph", "framejit.backends", "framejit.trace",
        "framejit.bytecode", "framejit.guards", "framejit.testing",
    ],
    ext_modules=_extensions(),
    cmdclass={"build_ext": BuildExt},
)
