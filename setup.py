"""The compiled part of the package: dedup/_minhash.c, the fused MinHash kernel (everything else is in
pyproject.toml). Optional: where it cannot be built, the install still succeeds and dedup.minhash runs its
numpy path, saying so once in the log."""
import sys

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dedup._minhash",
            ["dedup/_minhash.c"],
            # -O3: the permutation loop is vectorised (GCC's -O2 cost model leaves part of it scalar).
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
            optional=True,
        )
    ]
)
