"""Reads a mix with a reader that cannot share the test venv with Beam, and prints what it read as JSON.

Hugging Face `datasets` needs dill >= 0.3.8 (Beam 2.62 pins dill < 0.3.2), Spark is ~500 MB and
megatron-core needs torch: they live in venvs of their own (`.venv-readers` made by `make test`, megatron-core's
by `make check-megatron`), without Beam or this package. tests/mix_sample.py::read_elsewhere runs this file
with such a venv's interpreter; the assertions stay in the tests. Exit code 3: the reader is not usable here.

    python tests/mix_read.py datasets <mix folder> <scratch folder>
    python tests/mix_read.py spark <mix folder> <scratch folder>
    python tests/mix_read.py mixreader <output folder> <length> <seed> <world size>
    python tests/mix_read.py megatron <end id> <vocab size> <scratch folder> <weight> <prefix> ...
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

UNUSABLE = 3  # the reader's package or runtime is missing: the caller skips or fails, as configured


def unusable(why: str) -> None:
    print(why, file=sys.stderr)
    sys.exit(UNUSABLE)


def with_datasets(folder: Path, scratch: Path) -> dict:
    """Every way the datasets docs give to load local Parquet: data_files, streaming, a folder, from_parquet."""
    os.environ.update(HF_HUB_OFFLINE="1", HF_HOME=str(scratch / "hf"), HF_DATASETS_CACHE=str(scratch / "hf"))
    try:
        import datasets
    except ImportError as e:
        unusable(f"Hugging Face datasets is not installed: {e}")
    datasets.disable_progress_bars()
    files = sorted(str(p) for p in folder.rglob("*.parquet"))

    def rows(ds) -> list[list]:
        return [[r["id"], r["meta"], r["scores"]] for r in ds]

    loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(scratch / "a"))
    return {
        "version": datasets.__version__,
        "features": {name: str(f.dtype) for name, f in loaded.features.items()},
        "data_files": rows(loaded),
        "streaming": rows(datasets.load_dataset("parquet", data_files=files, split="train", streaming=True)),
        "folder": rows(datasets.load_dataset(str(folder), split="train", cache_dir=str(scratch / "b"))),
        "from_parquet": rows(datasets.Dataset.from_parquet(files, cache_dir=str(scratch / "c"))),
    }


def with_spark(folder: Path, scratch: Path) -> dict:
    """A local Spark session (1 core, no UI, on 127.0.0.1) reading the folder recursively."""
    try:
        import pyspark
        from pyspark.sql import SparkSession
    except ImportError as e:
        unusable(f"pyspark is not installed: {e}")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unusable("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    spark = (SparkSession.builder.master("local[1]").appName("codecorpus-mix")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
             .config("spark.local.dir", str(scratch / "tmp")).getOrCreate())
    try:
        spark.sparkContext.setLogLevel("ERROR")
        frame = spark.read.option("recursiveFileLookup", "true").parquet(str(folder))
        return {
            "version": pyspark.__version__,
            "schema": {f.name: f.dataType.simpleString() for f in frame.schema.fields},
            "rows": [[r["id"], r["meta"], r["scores"]] for r in frame.select("id", "meta", "scores").collect()],
        }
    finally:
        spark.stop()


def with_mixreader(out: Path, length: int, seed: int, world_size: int) -> dict:
    """mixing/reader.py from the repository in a venv without Beam or this package installed."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mixing.reader import MixReader

    mix = MixReader(out)
    return {
        "beam_installed": any((Path(p) / "apache_beam").is_dir() for p in sys.path if p),
        "documents": len(mix),
        "sequences": [[seq.tokens.tolist(), seq.doc_starts.tolist()]
                      for rank in range(world_size)
                      for seq in mix.sequences(length, seed=seed, rank=rank, world_size=world_size)],
    }


def with_megatron(end: int, vocab_size: int, scratch: Path, blend: list[str]) -> dict:
    """megatron-core on mixing.reader.megatron_blend's list: its blend parser, its IndexedDataset on each
    prefix (every document, the sequence/document indices), and the GPTDataset + BlendedDataset a Megatron
    training run builds from `--data-path` (64-id samples, in one process: a gloo group of size 1 on a file)."""
    try:
        import megatron.core
        import numpy
        import torch
        from megatron.core.datasets.blended_megatron_dataset_builder import BlendedMegatronDatasetBuilder
        from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig
        from megatron.core.datasets.indexed_dataset import IndexedDataset
        from megatron.core.datasets.utils import get_blend_from_list
    except ImportError as e:
        unusable(f"megatron-core is not importable: {e}")
    prefixes, weights = get_blend_from_list(blend)
    read = {}
    for prefix in prefixes:
        ds = IndexedDataset(prefix)
        read[prefix] = {
            "dtype": numpy.dtype(ds.index.dtype).name,
            "sequence_lengths": ds.sequence_lengths.tolist(),
            "document_indices": ds.document_indices.tolist(),
            "documents": [ds[i].tolist() for i in range(len(ds))],
            # Megatron's GPTDataset reads sample pieces with get(): here the tail of the last document.
            "last_tail": ds.get(len(ds) - 1, offset=1).tolist() if len(ds) else [],
        }

    # What GPTDataset asks of a tokenizer; the ids are the manifest's.
    tokenizer = SimpleNamespace(eod=end, pad=end, vocab_size=vocab_size, unique_identifiers={"class": "test"})
    torch.distributed.init_process_group("gloo", init_method=f"file://{scratch / 'process-group'}", rank=0,
                                         world_size=1)
    config = GPTDatasetConfig(random_seed=1, sequence_length=64, blend=(prefixes, weights), split="100,0,0",
                              tokenizer=tokenizer, reset_position_ids=False, reset_attention_mask=False,
                              eod_mask_loss=False, path_to_cache=str(scratch / "cache"))
    train, _, _ = BlendedMegatronDatasetBuilder(GPTDataset, [200, 0, 0], lambda: True, config).build()
    samples = [train[i] for i in range(len(train))]
    return {"version": megatron.core.__version__, "weights": weights, "prefixes": read,
            "samples": [[int(s["dataset_id"]), s["tokens"].tolist() + s["labels"][-1:].tolist(),
                         s["labels"][:-1].tolist() == s["tokens"][1:].tolist()] for s in samples]}


def main(argv: list[str]) -> None:
    kind, *args = argv
    if kind == "datasets":
        result = with_datasets(Path(args[0]), Path(args[1]))
    elif kind == "spark":
        result = with_spark(Path(args[0]), Path(args[1]))
    elif kind == "mixreader":
        result = with_mixreader(Path(args[0]), *map(int, args[1:4]))
    elif kind == "megatron":
        result = with_megatron(int(args[0]), int(args[1]), Path(args[2]), args[3:])
    else:
        raise SystemExit(f"unknown reader {kind!r}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
