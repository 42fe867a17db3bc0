"""Write a launcher jar for Beam's Flink job server from a folder of dependency jars.

Maven Central does not serve the shaded `beam-runners-flink-<flink>-job-server` jar for the Beam versions
pinned here (docs/flink.md), but it serves the runner library and its dependencies. This jar holds only a
manifest: its `Class-Path` lists every jar of `lib/` beside it and its `Main-Class` is the job server's
driver, so `java -jar` and FlinkRunner's `--flink_job_server_jar` start it like the shaded jar.
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

DRIVER = "org.apache.beam.runners.flink.FlinkJobServerDriver"
# Flink 1.19 and Kryo reflect into these JDK packages; on Java 17 they must be opened (Flink's own scripts
# pass the same through env.java.opts).
OPENS = ("java.base/java.lang", "java.base/java.util", "java.base/java.io", "java.base/java.nio",
         "java.base/java.net", "java.base/java.lang.reflect", "java.base/java.text", "java.base/java.time",
         "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic", "java.base/sun.nio.ch")


def _wrap(line: str) -> str:
    """A manifest line folded at 72 bytes, continuation lines starting with a space (JAR spec)."""
    raw = line.encode("utf-8")
    parts = [raw[:72]] + [b" " + raw[i:i + 71] for i in range(72, len(raw), 71)]
    return "\r\n".join(p.decode("utf-8") for p in parts) + "\r\n"


def write_launcher(lib_dir: Path, jar_path: Path) -> int:
    """Write `jar_path` whose class path is every jar in `lib_dir` (relative to the jar); returns their count."""
    jars = sorted(p for p in lib_dir.glob("*.jar"))
    if not jars:
        raise SystemExit(f"no jars in {lib_dir}: run mvn dependency:copy-dependencies first")
    rel = lib_dir.resolve().relative_to(jar_path.parent.resolve())
    manifest = "".join(_wrap(line) for line in (
        "Manifest-Version: 1.0",
        f"Main-Class: {DRIVER}",
        "Class-Path: " + " ".join(f"{rel.as_posix()}/{p.name}" for p in jars),
        "Add-Opens: " + " ".join(OPENS),
    )) + "\r\n"
    tmp = jar_path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr("META-INF/MANIFEST.MF", manifest)
    tmp.replace(jar_path)
    return len(jars)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lib_dir", type=Path)
    parser.add_argument("jar", type=Path)
    args = parser.parse_args(argv)
    n = write_launcher(args.lib_dir, args.jar)
    print(f"{args.jar}: launches {DRIVER} over {n} jars in {args.lib_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
