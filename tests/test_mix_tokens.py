"""Token output of the mix: Megatron indexed datasets read back by a reader written from the format's
description (not mixing/megatron.py), special tokens checked at start-up and never produced from text, the
manifest against its JSON Schema, and the training-side reader."""
from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from mix_sample import READERS_DEFAULT, READERS_PYTHON, SENTINELS, read_elsewhere

from mixing.fim import FIM_BEGIN, FIM_END, FIM_HOLE, to_fim
from mixing.manifest import manifest_schema
from mixing.megatron import indexed_dataset, token_dtype
from mixing.reader import MixReader, megatron_blend, shuffled_order
from mixing.tokens import DEEPSEEK_END, SpecialTokens, TokenCounter
from pipeline.config import parse_config
from pipeline.mix_transforms import mix_counter
from pipeline.preflight import tokenizer_problems

REPO = Path(__file__).resolve().parent.parent


def read_mmidx(prefix: Path) -> list[list[int]]:
    """Megatron-Core's IndexedDataset layout (megatron/core/datasets/readme.md), read with struct alone:
    header, version 1, dtype code, sequence and document counts, then lengths (int32), byte pointers (int64)
    and document indices (int64); documents are sequence ranges, sequences are slices of the .bin."""
    idx = (prefix.parent / (prefix.name + ".idx")).read_bytes()
    data = (prefix.parent / (prefix.name + ".bin")).read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    version, code, n_seq, n_doc = struct.unpack_from("<QBQQ", idx, 9)
    assert version == 1
    fmt, size = {4: ("i", 4), 8: ("H", 2)}[code]
    at = 9 + 8 + 1 + 8 + 8
    lengths = struct.unpack_from(f"<{n_seq}i", idx, at)
    pointers = struct.unpack_from(f"<{n_seq}q", idx, at + 4 * n_seq)
    doc_index = struct.unpack_from(f"<{n_doc}q", idx, at + 12 * n_seq)
    assert len(idx) == at + 12 * n_seq + 8 * n_doc and doc_index[0] == 0 and doc_index[-1] == n_seq
    sequences = [list(struct.unpack_from(f"<{n}{fmt}", data, p)) for n, p in zip(lengths, pointers)]
    assert sum(lengths) * size == len(data)
    return [[t for seq in sequences[doc_index[i]:doc_index[i + 1]] for t in seq] for i in range(n_doc - 1)]


def test_megatron_bytes_follow_the_layout():
    docs = [np.array([1, 2, 3]), np.array([], dtype=np.int64), np.array([70000])]
    bin_data, idx_data = indexed_dataset(docs, token_dtype(102400))
    assert token_dtype(102400) == np.dtype("<i4") and token_dtype(32000) == np.dtype("<u2")
    assert struct.unpack_from("<QBQQ", idx_data, 9) == (1, 4, 3, 4)  # version, int32, 3 sequences, 3 docs + 1
    assert bin_data == np.array([1, 2, 3, 70000], "<i4").tobytes()


def test_every_megatron_shard_decodes_to_its_parquet_rows(tokenized_mix):
    out = tokenized_mix / "a"
    m = json.loads((out / "mix_manifest.json").read_text())
    tok = TokenCounter(str(tokenized_mix / "tokenizer.json"))
    tok.setup()
    end = m["tokenizer"]["special_tokens"]["end"]["id"]
    assert m["tokenizer"]["special_tokens"]["end"]["string"] == DEEPSEEK_END == tok._full.id_to_token(end)
    checked = 0
    for info in m["categories"].values():
        for shard in info["shards"]:
            rows = pq.read_table(out / shard["path"]).to_pylist()
            docs = read_mmidx(out / shard["token_files"]["megatron"]["prefix"])
            assert len(docs) == len(rows) == shard["token_files"]["megatron"]["docs"]
            assert sum(map(len, docs)) == shard["token_files"]["megatron"]["tokens"]
            for row, ids in zip(rows, docs):
                assert ids[-1] == end
                body = ids if json.loads(row["meta"]).get("fim") else ids[:-1]
                assert len(body) == row["tokens"]
                if not json.loads(row["meta"]).get("fim"):
                    assert tok._full.decode(body) == row["text"]
                checked += 1
    assert checked == m["totals"]["docs"]


def test_text_is_never_encoded_as_a_special_token(tokenized_mix, tmp_path):
    out = tokenized_mix / "a"
    tok = TokenCounter(str(tokenized_mix / "tokenizer.json"))
    special = tok.added_tokens()
    assert set(SENTINELS) <= set(special)
    tok.special = SpecialTokens()
    inserted = [special[FIM_BEGIN], special[FIM_HOLE], special[FIM_END], special[DEEPSEEK_END]]
    for s in SENTINELS:
        text = f"x {s} y{s}"
        ids = tok.encode(text)
        assert not set(ids.tolist()) & set(special.values()) and tok._full.decode(ids) == text
        for seed in range(20):  # PSM documents cut anywhere, sentinels inside every piece
            psm, lengths = to_fim(text, "d", seed=seed, rate=1.0, special=tok.special)
            ids = tok.encode(psm, lengths).tolist()
            assert [i for i in ids if i in special.values()] == inserted
            assert tok._full.decode(ids, skip_special_tokens=False) == psm
    m = json.loads((out / "mix_manifest.json").read_text())
    ids_of = {v["string"]: v["id"] for v in m["tokenizer"]["special_tokens"].values()}
    seen = 0
    for info in m["categories"].values():
        for shard in info["shards"]:
            rows = pq.read_table(out / shard["path"]).to_pylist()
            for row, ids in zip(rows, read_mmidx(out / shard["token_files"]["megatron"]["prefix"])):
                if not row["id"].endswith(tuple(f"-s{i}" for i in range(len(SENTINELS)))):
                    continue
                seen += 1
                fim = json.loads(row["meta"]).get("fim")
                # Only the ids the mix inserts: 3 sentinels + 1 end for PSM, the end alone otherwise.
                expected = [ids_of[FIM_BEGIN], ids_of[FIM_HOLE], ids_of[FIM_END]] if fim else []
                assert [i for i in ids if i in special.values()] == [*expected, ids_of[DEEPSEEK_END]], row["text"]
    assert seen >= 2  # the sampled mix keeps some of the planted documents


def test_special_tokens_are_checked_against_the_tokenizer_at_start_up(tokenized_mix, tmp_path):
    path = str(tokenized_mix / "tokenizer.json")
    base = {"tokenizer": {"path": path}, "mix": {"fim": {"enabled": True}}}
    assert mix_counter(parse_config(base)).special.end == DEEPSEEK_END  # default: DeepSeek's, it is there
    wrong = {**base, "mix": {"fim": {"enabled": True}, "special_tokens": {"fim_hole": "<fim_hole>"}}}
    with pytest.raises(ValueError, match=r"mix\.special_tokens\.fim_hole: '<fim_hole>' is not a token"):
        mix_counter(parse_config(wrong))
    problems = tokenizer_problems(parse_config(wrong))  # `codecorpus validate` says so before any work
    assert len(problems) == 1 and problems[0].startswith("mix.special_tokens.fim_hole:")
    # A tokenizer without DeepSeek's end: the default falls back to SPEC §4's <|eos|>, when it has that one.
    plain = tmp_path / "plain.json"
    spec = json.loads(Path(path).read_text())
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] != DEEPSEEK_END]
    plain.write_text(json.dumps(spec))
    counter = mix_counter(parse_config({**base, "tokenizer": {"path": str(plain)}}))
    assert counter.special.end == "<|eos|>"
    assert counter.encode(FIM_BEGIN + "a" + FIM_HOLE + "b" + FIM_END + "c<|eos|>", "1,1,1")[-1] == counter.end_id()


def test_the_manifest_validates_against_its_committed_schema(tokenized_mix, sample_run):
    jsonschema = pytest.importorskip("jsonschema")
    schema = manifest_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for out in (tokenized_mix / "a", sample_run):
        m = json.loads((out / "mix_manifest.json").read_text())
        jsonschema.validate(m, schema)
        created = json.loads((out / "logs" / "mix_created.json").read_text())
        assert created["manifest_sha256"] == hashlib.sha256((out / "mix_manifest.json").read_bytes()).hexdigest()
    m = json.loads((sample_run / "mix_manifest.json").read_text())
    assert m["tokenizer"]["kind"] == "estimate" and m["software"]["apache-beam"] != "absent"
    assert {i["kind"] for i in m["inputs"]} >= {"github", "text", "web"}
    assert all(i["bytes"] and i["files"] for i in m["inputs"] if i["kind"] in ("github", "text", "web"))
    bad = {**m, "categories": {"code": {**m["categories"]["code"], "shards": [{"path": "/abs"}]}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_reader_packs_every_document_once_in_a_seeded_order(tokenized_mix):
    mix = MixReader(tokenized_mix / "a")
    assert len(mix) == MixReader(tokenized_mix / "a", fmt="u32").__len__() > 100
    assert np.array_equal(shuffled_order(1000, 3), shuffled_order(1000, 3))
    assert sorted(shuffled_order(1000, 3)) == list(range(1000)) and not np.array_equal(
        shuffled_order(1000, 3), shuffled_order(1000, 4))
    stream = np.concatenate([mix.document(int(i)) for i in shuffled_order(len(mix), 5)])
    world = 3
    per_rank = [list(mix.sequences(64, seed=5, rank=r, world_size=world)) for r in range(world)]
    assert len({len(s) for s in per_rank}) == 1 and len(per_rank[0]) == len(stream) // 64 // world
    for k in range(len(per_rank[0])):
        for r in range(world):
            seq = per_rank[r][k]
            begin = (k * world + r) * 64
            assert np.array_equal(seq.tokens, stream[begin:begin + 64])
    # Document boundaries: starts line up with the documents' lengths in shuffled order.
    ends = np.cumsum([len(mix.document(int(i))) for i in shuffled_order(len(mix), 5)])
    seq = per_rank[1][2]
    begin = (2 * world + 1) * 64
    assert seq.doc_starts.tolist() == [int(e) - begin for e in ends if begin <= e < begin + 64]
    # Resume from a position: the same items as the uninterrupted run.
    resumed = list(mix.sequences(64, seed=5, rank=2, world_size=world, start=3))
    assert all(np.array_equal(a.tokens, b.tokens) for a, b in zip(resumed, per_rank[2][3:]))
    docs = list(mix.documents(seed=5, rank=1, world_size=2))
    again = list(mix.documents(seed=5, rank=1, world_size=2, start=4))
    assert len(docs) == len(mix) // 2 and all(np.array_equal(a, b) for a, b in zip(again, docs[4:]))
    code_only = MixReader(tokenized_mix / "a", categories=["code"])
    assert len(code_only) == json.loads((tokenized_mix / "a" / "mix_manifest.json").read_text())[
        "categories"]["code"]["docs"]
    with pytest.raises(ValueError, match="rank"):
        next(mix.sequences(64, seed=5, rank=3, world_size=3))


def test_the_reader_refuses_a_copy_that_differs_from_the_manifest(tokenized_mix, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tokenized_mix / "a", copy)
    m = json.loads((copy / "mix_manifest.json").read_text())
    MixReader(copy).verify()
    binary = copy / m["categories"]["text"]["shards"][-1]["token_files"]["megatron"]["files"]["bin"]["path"]
    data = binary.read_bytes()
    binary.write_bytes(data[:-2])  # a partial copy: caught on opening, by size
    with pytest.raises(ValueError, match=rf"{binary.name}: .* bytes, the manifest says {len(data):,} bytes"):
        MixReader(copy)
    binary.write_bytes(bytes([data[0] ^ 1]) + data[1:])  # same size, other bytes: caught by verify()
    reader = MixReader(copy)
    with pytest.raises(ValueError, match=rf"{binary.name}: sha256"):
        reader.verify()
    MixReader(copy, categories=["code"]).verify()  # only the files it reads
    with pytest.raises(ValueError, match="no categories"):
        MixReader(copy, categories=["cod"])
    m["token_output"]["formats"] = []
    (copy / "mix_manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match="tokenizer.path"):
        MixReader(copy)


def test_the_reader_imports_without_beam_or_a_framework():
    code = ("import sys, mixing.reader; bad = [m for m in ('apache_beam', 'torch', 'tensorflow', 'jax') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_special_tokens_dataclass_defaults_are_deepseeks():
    assert SpecialTokens().as_dict() == {"end": DEEPSEEK_END, "fim_begin": FIM_BEGIN, "fim_hole": FIM_HOLE,
                                         "fim_end": FIM_END}


def test_megatron_core_reads_the_output(tokenized_mix, tmp_path):
    """Optional (`make check-megatron`): megatron-core, in a venv with torch, parses megatron_blend's list, its
    IndexedDataset reads every shard, and its GPTDataset + BlendedDataset (what a training run builds from
    `--data-path`) cuts samples (64 ids + 1) that are a document's tail, whole documents and a document's head
    of the shard they come from, or a slice of one document."""
    out = tokenized_mix / "a"
    m = json.loads((out / "mix_manifest.json").read_text())
    shards = [s["token_files"]["megatron"] for info in m["categories"].values() for s in info["shards"]]
    blend = megatron_blend(out)
    assert blend[::2] == [str(s["tokens"]) for s in shards]
    assert blend[1::2] == [str(out.resolve() / s["prefix"]) for s in shards]
    end, vocab = m["tokenizer"]["special_tokens"]["end"]["id"], m["tokenizer"]["vocab_size"]
    got = read_elsewhere("CODECORPUS_MEGATRON_PYTHON", "megatron", end, vocab, tmp_path, *blend)
    dtype = {"<u2": "uint16", "<i4": "int32"}[token_dtype(vocab).str]
    assert list(got["prefixes"]) == blend[1::2] and got["weights"] == [float(s["tokens"]) for s in shards]
    docs = {}
    for prefix, read in got["prefixes"].items():
        docs[prefix] = ours = read_mmidx(Path(prefix))
        assert read["documents"] == ours and read["sequence_lengths"] == [len(d) for d in ours]
        assert read["document_indices"] == list(range(len(ours) + 1)) and read["last_tail"] == ours[-1][1:]
        assert read["dtype"] == dtype
    assert len(got["samples"]) >= 200 and {d for d, _, _ in got["samples"]} == set(range(len(shards)))
    inner = 0
    for dataset_id, window, shifted in got["samples"]:
        shard = docs[blend[1::2][dataset_id]]
        ends = [i for i, t in enumerate(window) if t == end]
        assert shifted and len(window) == 65
        if not ends:  # inside one document
            assert any(window == d[i : i + 65] for d in shard for i in range(len(d) - 64)), window
            continue
        assert any(d[len(d) - ends[0] - 1 :] == window[: ends[0] + 1] for d in shard)  # a document's tail
        for a, b in itertools.pairwise(ends):  # the ids between two ends: one whole document, end included
            assert window[a + 1 : b + 1] in shard
            inner += 1
        assert any(d[: 64 - ends[-1]] == window[ends[-1] + 1 :] for d in shard)  # the next one's head
    assert inner > 0


def test_the_reader_runs_where_beam_is_not_installed(tokenized_mix):
    """mixing/reader.py in `.venv-readers` (no Beam, no codecorpus): the same packed sequences as here."""
    got = read_elsewhere(READERS_PYTHON, "mixreader", tokenized_mix / "a", 128, 9, 2, default=READERS_DEFAULT)
    mix = MixReader(tokenized_mix / "a")
    here = [[s.tokens.tolist(), s.doc_starts.tolist()] for r in range(2) for s in mix.sequences(128, seed=9, rank=r,
                                                                                                 world_size=2)]
    assert not got["beam_installed"] and got["documents"] == len(mix) and got["sequences"] == here
