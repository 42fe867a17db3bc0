"""The mix through Beam: weights reached, shards as the manifest says, byte-identical whatever the arrival
order, tokenized shards consistent, and the README's reader example running on the output."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from mix_sample import run_mix

from mixing.plan import shuffle_key
from mixing.tokens import DEEPSEEK_END

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mix_run(tokenized_mix):
    return tokenized_mix


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith("logs/")}


def test_weights_are_reached_and_reported(mix_run):
    m = json.loads((mix_run / "a" / "mix_manifest.json").read_text())
    assert m["budget"]["asked_total_tokens"] == 60000 and m["budget"]["short_policy"] == "upsample"
    for group, w in m["weights"].items():
        assert w["achieved"] == pytest.approx(w["asked"], abs=0.04), group
    assert m["weights"]["math"]["status"] == "upsampled" and m["weights"]["code"]["status"] == "downsampled"
    assert abs(m["budget"]["achieved_total_tokens"] - 60000) < 0.05 * 60000
    assert m["config"]["mix"]["total_tokens"] == 60000 and m["tokenizer"]["kind"] == "tokenizer.json"


def test_shards_match_the_manifest(mix_run):
    out = mix_run / "a"
    m = json.loads((out / "mix_manifest.json").read_text())
    ids_seen = []
    for category, info in m["categories"].items():
        assert len(info["shards"]) == len(list((out / "mix" / category).glob("*.parquet"))) >= 1
        for shard in info["shards"]:
            assert re.fullmatch(rf"mix/{category}/part-\d{{5}}-of-{len(info['shards']):05d}\.parquet", shard["path"])
            data = (out / shard["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == shard["sha256"] and len(data) == shard["bytes"]
            table = pq.read_table(out / shard["path"])
            assert pq.ParquetFile(out / shard["path"]).metadata.row_group(0).column(0).compression == "ZSTD"
            assert table.num_rows == shard["docs"] and sum(table.column("tokens").to_pylist()) == shard["tokens"]
            rows = table.to_pylist()
            for r in rows:
                r["meta"] = json.loads(r["meta"])
            keys = [shuffle_key(r["id"], int(r["meta"].get("mix_copy", 0)), 7) for r in rows]
            assert keys == sorted(keys)  # the global shuffle order, not arrival or id order
            assert all(k % len(info["shards"]) == shard["index"] for k in keys)
            u32 = shard["token_files"]["u32"]["files"]
            ids = np.fromfile(out / u32["ids"]["path"], dtype="<u4")
            offsets = np.fromfile(out / u32["offsets"]["path"], dtype="<u8")
            assert offsets[0] == 0 and offsets[-1] == len(ids) and len(offsets) == len(rows) + 1
            # Each document's tokens, plus the end token where the document does not end with it (PSM does).
            assert np.diff(offsets).tolist() == [r["tokens"] + (0 if r["meta"].get("fim") else 1) for r in rows]
            for fmt in ("u32", "megatron"):
                for f in shard["token_files"][fmt]["files"].values():
                    data = (out / f["path"]).read_bytes()
                    assert len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"]
            ids_seen += [(r["id"], r["meta"].get("mix_copy", "0")) for r in rows]
            if category != "code":
                assert not any(r["meta"].get("fim") for r in rows)
    assert len(m["categories"]["code"]["shards"]) >= 2
    assert len(ids_seen) == len(set(ids_seen))  # every copy once
    repeats = {}
    for rid, _ in ids_seen:
        repeats[rid] = repeats.get(rid, 0) + 1
    assert max(repeats.values()) <= 3


def test_fim_rewrites_about_half_of_the_code(mix_run):
    out = mix_run / "a"
    rows = [r for p in (out / "mix" / "code").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    fim = [r for r in rows if json.loads(r["meta"]).get("fim") == "psm"]
    assert 0.3 < len(fim) / len(rows) < 0.7
    # DeepSeek's end token by default, as the tokenizer has it.
    assert all(r["text"].startswith("<\uff5cfim\u2581begin\uff5c>") and r["text"].endswith(DEEPSEEK_END) for r in fim)


def test_output_is_byte_identical_whatever_the_arrival_order(mix_run):
    run_mix(mix_run / "b", mix_run / "tokenizer.json", reverse=True)
    assert files_of(mix_run / "a") == files_of(mix_run / "b")


def readme_reader_example() -> str:
    text = (REPO / "docs" / "output-contract.md").read_text()  # moved there from the README (its first screen)
    found = re.search(r"<!-- reader-example -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/output-contract.md lost its reader example (a ```python block after <!-- reader-example -->)"
    return found.group(1)


def test_the_readme_reader_example_runs_on_a_mix(mix_run, capsys):
    code = readme_reader_example()
    assert len(code.strip().splitlines()) <= 12
    program = compile(code, "docs/output-contract.md reader example", "exec")
    exec(program, {"OUT": str(mix_run / "a")})  # noqa: S102 (running the README's example is the point)
    printed = capsys.readouterr().out
    m = json.loads((mix_run / "a" / "mix_manifest.json").read_text())
    assert f"{m['totals']['shards']} shards" in printed or str(m["totals"]["docs"]) in printed
