"""The compiled part of the package: dedup/_minhash.c, the fused MinHash kernel, and filters/_decontaminate.c,
decontamination's fused token hashes (everything else is in pyproject.toml). Optional: where they cannot be
built, the install still succeeds and dedup.minhash and filters.decontaminate run their numpy paths, saying
so once in the log."""
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
        ),
        Extension(
            "filters._decontaminate",
            ["filters/_decontaminate.c"],
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
            optional=True,
        ),
    ]
)
