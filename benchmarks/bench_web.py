"""Web path throughput: pages per second per core from WARC to extracted record, beside baselines.

    .venv/bin/python benchmarks/bench_web.py [--warc PATH] [--skip-datatrove]      (part of make bench)

On `../shared/data/warc/pages/trafilatura-test-pages.warc.gz` (1,041 real pages), in the same run, every
system pinned to the same single core:
  1. codecorpus, plain steps: `read_warc_file` -> `PageExtractor` (child process, time limit) -> URL dedup
  2. codecorpus through Beam: `codecorpus run` on a config holding only that WARC (DirectRunner, 1 worker)
  3. plain `trafilatura.extract` defaults in-process over warcio (the in-run baseline)
  4. datatrove's `WarcReader -> Trafilatura` in a side venv it creates (default /tmp/datatrove-venv);
     skipped with a message when it cannot be installed. Its F1 on the scrapinghub pages is measured there too.
Per core = pages / CPU seconds of every process involved (parent and extraction children; a subprocess's
whole tree by os.wait4); wall time on the pinned core is shown as well. The systems run in `--rounds`
interleaved rounds and the CPU and wall figures are medians. Pages are counted on every side (datatrove's by a
counting step after its reader). datatrove's venv gets the trafilatura of this one, and the versions of both
sides are printed. Figures are ratios to baseline 3 and to datatrove (4) of the same run (machines here are
noisy); the issue-14 target is codecorpus run >= 2x datatrove, start-up included.
Writes bench-out/bench-web.json.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WARC = REPO.parent / "shared" / "data" / "warc" / "pages" / "trafilatura-test-pages.warc.gz"
OUT = REPO / "bench-out" / "bench-web.json"
DATATROVE_VENV = Path(os.environ.get("DATATROVE_VENV", "/tmp/datatrove-venv"))
# Libraries both sides use: datatrove's venv gets this venv's versions, and both are reported.
SHARED_LIBRARIES = ("trafilatura", "lxml", "warcio")
# What the side venv gets: datatrove's reader and extractor dependencies, without its heavy extras.
DATATROVE_PACKAGES = [
    "datatrove==0.10.1", "faust-cchardet", "python-magic", "lxml_html_clean",
    *(f"{name}=={version(name)}" for name in SHARED_LIBRARIES),
]

DATATROVE_DRIVER = r'''
import json, sys, time, resource, gzip
mode = sys.argv[1]
if mode == "throughput":
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    folder, name, logs = sys.argv[2:5]

    counted = {}

    class Count(PipelineStep):  # passes documents on, counting them: pages read, pages written
        type = "count"
        def __init__(self, what):
            super().__init__()
            self.name, self.what = f"count {what}", what
        def run(self, data, rank=0, world_size=1):
            counted[self.what] = 0
            for doc in data:
                counted[self.what] += 1
                yield doc

    class Drain(PipelineStep):
        name, type = "drain", "drain"
        def run(self, data, rank=0, world_size=1):
            for _ in data:
                pass
            return iter(())

    start = time.time()
    LocalPipelineExecutor(pipeline=[WarcReader(folder, glob_pattern=name), Count("pages"),
                                    Trafilatura(favour_precision=True), Count("written"), Drain()],
                          tasks=1, workers=1, logging_dir=logs).run()
    print(json.dumps({"wall_s": time.time() - start, **counted}))
else:  # extract the scrapinghub pages with datatrove's Trafilatura step, for F1
    from datatrove.pipeline.extractors import Trafilatura
    pages = json.load(open(sys.argv[2]))
    step = Trafilatura(favour_precision=True)
    print(json.dumps({key: step.extract(html) or "" for key, html in sorted(pages.items())}))
'''


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_plain_steps(warc: Path, *, time_limit: bool = True) -> dict:
    """codecorpus's own steps, no Beam: the per-page cost of the web path. With `time_limit=False` the
    extraction runs in this process instead of the killable child: the difference is the limit's cost."""
    import functools

    from filters.web_extract import extract_text
    from pipeline.config import WebExtraction, WebSource
    from pipeline.record import Drop, Record
    from pipeline.sources.warc import read_warc_file
    from pipeline.web_transforms import PageExtractor, extract_options, normalize_url, pick_url_survivor

    source, settings = WebSource(), WebExtraction()
    extractor = PageExtractor(settings)
    if not time_limit:
        extractor.worker = functools.partial(extract_text, **extract_options(settings))
    extractor.worker(b"<html><body><p>warm up</p></body></html>", "")  # start the child outside the clock
    child = getattr(extractor.worker, "pid", None)
    child_start, start_cpu, start = _cpu_of(child) if child else 0.0, _self_cpu(), time.time()
    drops: collections.Counter = collections.Counter()
    by_url: dict[str, list[Record]] = collections.defaultdict(list)
    pages_in = written = html_bytes = text_bytes = 0
    for item in read_warc_file(str(warc), max_record_bytes=source.max_record_bytes,
                               allowed_mime=tuple(source.allowed_mime)):
        if isinstance(item, Record):
            pages_in += 1
            html_bytes += len(item.text.encode("utf-8", "surrogatepass"))
            item = extractor(item)
            text_bytes += len(item.text.encode("utf-8", "surrogatepass")) if isinstance(item, Record) else 0
        if isinstance(item, Drop):
            drops[item.reason] += 1
        else:
            by_url[normalize_url(item.url)].append(item)
    for group in sorted(by_url.items()):  # URL dedup after extraction, the pipeline's default order
        for item in pick_url_survivor(group):
            if isinstance(item, Drop):
                drops[item.reason] += 1
            else:
                written += 1
    wall = time.time() - start
    cpu = _self_cpu() - start_cpu
    if child:
        now = extractor.worker.pid
        cpu += _cpu_of(now) - (child_start if now == child else 0.0) if now else 0.0
        extractor.worker.close()
    return {"pages": pages_in, "written": written, "wall_s": wall, "cpu_s": cpu, "drops": dict(drops),
            "html_bytes": html_bytes, "text_bytes": text_bytes}


def run_beam(warc: Path) -> dict:
    """The real pipeline: `codecorpus run` on the WARC alone, DirectRunner in-process, one worker. Its
    fixed cost (interpreter, Beam start-up, graph, child start) is measured on the 6-page bundled sample and
    taken out in `marginal_pages_per_cpu_s`, the rate a long run approaches."""
    small = _beam_once(REPO / "sample" / "web" / "sample.warc.gz")
    big = _beam_once(warc)
    if "error" not in big and "error" not in small:
        big["fixed_cpu_s"] = small["cpu_s"]
        big["marginal_pages_per_cpu_s"] = (big["pages"] - small["pages"]) / (big["cpu_s"] - small["cpu_s"])
    return big


def _beam_once(warc: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.yaml"
        # WARC -> text, as the datatrove baseline: no recall (a crawl without seeds would stop it anyway)
        config.write_text(f"inputs:\n  web:\n    paths: [{warc}]\noutput:\n  num_shards: 4\nrecall:\n  enabled: false\n")
        start = time.time()
        proc, cpu = _tree_cpu(
            [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--output", f"{tmp}/out",
             "--runner=DirectRunner"],
            cwd=REPO,
        )
        wall = time.time() - start
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:]}
        from pipeline.accounting import read_funnel

        web = [s for s in read_funnel(f"{tmp}/out") if s.stage.startswith("web_")]
        return {"pages": web[0].n_out, "written": web[-1].n_out, "wall_s": wall, "cpu_s": cpu}


def _tree_cpu(cmd: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    """Run `cmd`; its result and the CPU seconds of its whole process tree (os.wait4: itself and every
    descendant it reaped)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)  # reaps it: Popen must not wait for it too
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        return subprocess.CompletedProcess(cmd, code, out.read(), err.read()), usage.ru_utime + usage.ru_stime


def run_plain_trafilatura(warc: Path) -> dict:
    """Baseline: warcio + `trafilatura.extract` with its defaults, in-process."""
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    from filters.html_decode import decode_html

    trafilatura.extract("<html><body><p>warm up</p></body></html>")
    start_cpu, start = _self_cpu(), time.time()
    pages = written = 0
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            body = record.content_stream().read()
            pages += 1
            text = trafilatura.extract(decode_html(body, record.http_headers.get_header("Content-Type")).text)
            written += bool(text)
    return {"pages": pages, "written": written, "wall_s": time.time() - start, "cpu_s": _self_cpu() - start_cpu}


def library_versions(python: str = sys.executable) -> dict[str, str]:
    """The versions of the libraries both sides use, in the venv of `python`."""
    code = f"import json; from importlib.metadata import version; print(json.dumps({{n: version(n) for n in {SHARED_LIBRARIES!r}}}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def ensure_datatrove_venv() -> Path | None:
    python = DATATROVE_VENV / "bin" / "python"
    check = [str(python), "-c", "import datatrove.pipeline.extractors, datatrove.pipeline.readers, warcio, magic"]
    same = library_versions(str(python)) == library_versions() if python.exists() else False
    if same and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    print(f"bench-web: creating {DATATROVE_VENV} for datatrove (one time) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(DATATROVE_VENV)],
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", "--upgrade", *DATATROVE_PACKAGES],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"bench-web: datatrove skipped, `{' '.join(step[-3:])}` failed: {done.stderr.strip()[-300:]}")
            return None
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:
        print("bench-web: datatrove skipped, it installed but does not import")
        return None
    if library_versions(str(python)) != library_versions():
        print(f"bench-web: datatrove skipped, its libraries {library_versions(str(python))} differ from ours")
        return None
    return python


def run_datatrove(python: Path, warc: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        driver = Path(tmp) / "driver.py"
        driver.write_text(DATATROVE_DRIVER)
        proc, cpu = _tree_cpu([str(python), str(driver), "throughput", str(warc.parent), warc.name, f"{tmp}/logs"])
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:]}
        return {**json.loads(proc.stdout.strip().splitlines()[-1]), "cpu_s": cpu}


def datatrove_f1(python: Path) -> dict | None:
    """Token F1 of datatrove's Trafilatura step on the scrapinghub pages, with the eval's metric."""
    from evals.eval_extract import DATA, load_sets, page_counts, scores

    if not DATA.is_dir():
        return None
    articles = load_sets()["articles (scrapinghub)"]
    gold, html = {p["id"]: p["gold"] for p in articles}, {p["id"]: p["html"] for p in articles}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pages.json").write_text(json.dumps(html))
        (Path(tmp) / "driver.py").write_text(DATATROVE_DRIVER)
        proc = subprocess.run([str(python), f"{tmp}/driver.py", "f1", f"{tmp}/pages.json"],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    predicted = json.loads(proc.stdout)
    return scores([page_counts(gold[k], predicted[k]) for k in sorted(gold)])


def median_run(runs: list[dict]) -> dict:
    """One system's rounds as one result: the last round's counts, the median CPU and wall seconds; a failed
    round fails the system. Pages read must agree between rounds (the same input, counted each time); pages
    written may not (datatrove's Trafilatura step gives up on a page after its time limit, more often on a
    busy machine): their range is kept."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    if len({r["pages"] for r in runs}) > 1:
        return {"error": f"page counts differ between rounds: {[(r['pages'], r['written']) for r in runs]}"}
    out = dict(runs[-1])
    out["written_rounds"] = [r["written"] for r in runs]
    for key in ("cpu_s", "wall_s", "fixed_cpu_s", "marginal_pages_per_cpu_s"):
        if key in out:
            out[key] = statistics.median(r[key] for r in runs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warc", type=Path, default=WARC)
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; CPU and wall are medians")
    args = parser.parse_args()
    if not args.warc.exists():
        print(f"bench-web: skipped, {args.warc} is absent")
        return 0
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # every system (and its children) on one core
    python = None if args.skip_datatrove else ensure_datatrove_venv()
    systems = {
        "plain trafilatura.extract (baseline)": lambda: run_plain_trafilatura(args.warc),
        "codecorpus steps (read -> extract -> URL dedup)": lambda: run_plain_steps(args.warc),
        "  same, extraction in-process (no time limit)": lambda: run_plain_steps(args.warc, time_limit=False),
        "codecorpus run (Beam DirectRunner, 1 worker)": lambda: run_beam(args.warc),
    }
    if python is not None:
        systems["datatrove WarcReader -> Trafilatura"] = lambda: run_datatrove(python, args.warc)
    runs: dict[str, list[dict]] = {name: [] for name in systems}
    for r in range(args.rounds):
        for name, run in systems.items():
            runs[name].append(run())
            print(f"round {r + 1} {name.strip()}: {runs[name][-1].get('cpu_s', 'failed')}", flush=True)
    results = {name: median_run(rs) for name, rs in runs.items()}
    versions = {"codecorpus": library_versions(), **({"datatrove": library_versions(str(python))} if python else {})}
    results["library versions"] = versions
    base = results["plain trafilatura.extract (baseline)"]
    base_rate = base["pages"] / base["cpu_s"]
    datatrove = results.get("datatrove WarcReader -> Trafilatura", {})
    dt_rate = datatrove["pages"] / datatrove["cpu_s"] if datatrove and "error" not in datatrove else None
    print(f"\nweb path on {args.warc.name}, pinned to core {core}")
    print(f"{'system':<50}{'pages':>7}{'written':>9}{'CPU s':>8}{'pages/CPU-s':>13}{'x base':>8}{'x datatrove':>12}"
          f"{'wall p/s':>10}")
    for name, r in results.items():
        if name == "library versions":
            continue
        if "error" in r:
            print(f"{name:<50} failed: {r['error'][-300:]}")
            continue
        rate = r["pages"] / r["cpu_s"]
        r["pages_per_cpu_s"], r["ratio_to_baseline"] = rate, rate / base_rate
        r["ratio_to_datatrove"] = rate / dt_rate if dt_rate else None
        vs_dt = f"{rate / dt_rate:12.2f}" if dt_rate else f"{'-':>12}"
        print(f"{name:<50}{r['pages']:>7}{r['written']:>9}{r['cpu_s']:>8.1f}{rate:>13.1f}{rate / base_rate:>8.2f}{vs_dt}"
              f"{r['pages'] / r['wall_s']:>10.1f}")
        if "marginal_pages_per_cpu_s" in r:
            marginal = r["marginal_pages_per_cpu_s"]
            print(f"{'  (without its fixed ' + format(r['fixed_cpu_s'], '.1f') + ' CPU s of start-up)':<50}"
                  f"{'':>24}{marginal:>13.1f}{marginal / base_rate:>8.2f}")
    print(f"medians of {args.rounds} interleaved rounds; libraries: "
          + "; ".join(f"{side} " + ", ".join(f"{k} {v}" for k, v in libs.items()) for side, libs in versions.items()))
    if dt_rate:
        run = results["codecorpus run (Beam DirectRunner, 1 worker)"]
        if "error" not in run:
            verdict = "met" if run["ratio_to_datatrove"] >= 2 else "MISSED"
            print(f"target (issue 14): codecorpus run >= 2x datatrove pages/CPU-s: {run['ratio_to_datatrove']:.2f}x "
                  f"{verdict}")
    steps = results["codecorpus steps (read -> extract -> URL dedup)"]
    print(f"\nHTML {steps['html_bytes'] / steps['pages'] / 1e3:.1f} KB/page, extracted text "
          f"{steps['text_bytes'] / steps['pages'] / 1e3:.1f} KB/page: URL dedup after extraction shuffles "
          f"{steps['html_bytes'] / max(1, steps['text_bytes']):.0f}x fewer bytes")
    if python is not None:
        f1 = datatrove_f1(python)
        results["datatrove Trafilatura F1 on scrapinghub"] = f1
        if f1 and "error" not in f1:
            print(f"\ndatatrove's Trafilatura step on the scrapinghub pages: P {f1['precision']:.3f} "
                  f"R {f1['recall']:.3f} F1 {f1['f1']:.3f} (codecorpus: see make eval-extract)")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1, sort_keys=True))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
