"""Peak memory of reading a repository archive, against its expansion (issue 12): generated archives of ~1 MB
that expand to `--mb` MB, read by `read_unit` in a child process each (peak RSS from `getrusage`), as
differences against a 1 MB archive read in the same run; and the samples step that holds one repository's
files at once (what `github.max_repo_bytes` bounds), as a multiple of the repository's bytes.

    python -m benchmarks.bench_archive_memory [--mb 300]
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

LINE = b"    x = x + 1  # padding padding padding padding\n"

READ = """
import resource, sys
from pipeline.record import Record
from pipeline.sources.github import ReadLimits, RepoUnit, read_unit
kept = sum(len(x.text) for x in read_unit(RepoUnit("archive", sys.argv[1], "proj"), ReadLimits(
    max_archive_bytes=1 << 40, max_repo_bytes=1 << 40, max_archive_members=10**7)) if isinstance(x, Record))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, kept)
"""

SAMPLES = """
import resource, sys
from pipeline.record import Drop, Record, RecordCoder
from pipeline.repo_assembly import repo_samples
from pipeline.sources.github import ReadLimits, RepoUnit, read_unit
coder = RecordCoder()  # the grouped files as a runner hands them over: encoded, decoded when iterated
limits = ReadLimits(max_archive_bytes=1 << 40, max_repo_bytes=1 << 40)
encoded = [coder.encode(r.replace(language="Python"))
           for r in read_unit(RepoUnit("archive", sys.argv[1], "proj"), limits) if isinstance(r, Record)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
for out in repo_samples((("proj", ""), map(coder.decode, encoded)), "dependency", 1, None):
    if not isinstance(out, Drop):
        coder.encode(out.record)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, sum(map(len, encoded)))
"""


def write_archive(path: Path, total_mb: int, file_kb: int) -> None:
    """`total_mb` MB of Python files of `file_kb` KB, each importing the one before (one dependency part)."""
    n = max(1, total_mb * 1024 // file_kb)

    def body(i: int) -> bytes:
        head = (b"import m%d\n" % (i - 1) if i else b"") + b"def f%d(x):\n" % i
        return head + LINE * max(0, (file_kb * 1024 - len(head)) // len(LINE))

    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(n):
                zf.writestr(f"proj-main/m{i}.py", body(i))
        return
    with tarfile.open(path, "w:gz") as tar:
        for i in range(n):
            data = body(i)
            info = tarfile.TarInfo(f"proj-main/m{i}.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def child(script: str, path: Path) -> list[int]:
    out = subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="expansion of the large archives (MB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codecorpus-bench-") as tmp:
        work = Path(tmp)
        cases = [("tar.gz", 1, 100), ("tar.gz", args.mb, 100), ("tar.gz", args.mb, 1), ("zip", 1, 100),
                 ("zip", args.mb, 100), ("zip", args.mb, 1)]
        base: dict[str, int] = {}
        print(f"{'archive':<10}{'expands to':>12}{'file size':>11}{'on disk':>10}{'peak RSS':>11}{'vs 1 MB':>10}")
        for kind, mb, kb in cases:
            path = work / f"a{mb}-{kb}.{kind}"
            write_archive(path, mb, kb)
            peak, kept = child(READ, path)
            base.setdefault(kind, peak)
            print(f"{kind:<10}{kept / 1e6:>9.0f} MB{kb:>8} KB{path.stat().st_size / 1e6:>7.1f} MB"
                  f"{peak:>8} MB{peak - base[kind]:>+7} MB")
        path = work / f"a{args.mb}-100.tar.gz"
        before, peak, size = child(SAMPLES, path)
        print(f"samples step, one repository of {size / 1e6:.0f} MB encoded in one dependency part: peak {peak} MB, "
              f"{(peak - before) / (size / 1e6):.1f}x the repository above the {before} MB holding its encoded files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
