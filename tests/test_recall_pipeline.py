"""The recall through Beam: scoring DoFn, training-set selection, and `codecorpus recall` end to end."""
from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from recall_sample import labelled_pages, make_pages, train_small_model

from classifiers import fasttext_model
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.recall_transforms import (
    META_LABEL,
    META_SEED,
    ScorePages,
    build_select_pipeline,
    histogram_bin,
    score_histogram_json,
)
from pipeline.record import Record
from pipeline.sinks import read_parquet_records
from pipeline.stages import Funnel

FAST = ["--runner=DirectRunner"]  # codecorpus runs it on the FnApiRunner in this process (no Prism attempt)
CONFIG = {
    "seed": 5,
    "output": {"num_shards": 2},
    "tokenizer": {"vocab_size": 800},
    "recall": {
        "iterations": 2,
        "min_new_fraction": 0.0,
        "on_weak": "warn",
        "categories": {
            "code": {"url_patterns": ["stackoverflow.com/questions", "docs.python.org", "segmentfault.com/q"],
                     "budget": 120, "output_category": "code_web"},
            "math": {"url_patterns": ["math.stackexchange.com", "mathoverflow.net/questions", "shuxue.example.cn/wenda"],
                     "seed_files": ["seeds/math.txt"], "output_category": "math_web"},
        },
        "fasttext": {"lr": 1.0, "epoch": 25, "dim": 64, "bucket": 20000},
    },
}


def write_config(folder: Path, **recall_changes) -> Path:
    data = json.loads(json.dumps(CONFIG))
    data["recall"].update(recall_changes)
    (folder / "seeds").mkdir(parents=True, exist_ok=True)
    (folder / "seeds" / "math.txt").write_text("设函数f(x)=x²，求导数。\nProve that the sum of two even numbers is even.\n")
    path = folder / "recall.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    make_pages.write_sample(folder, scale=0.25)
    return folder


def test_score_dofn_loads_the_model_once_and_scores_every_record(tmp_path, monkeypatch):
    model = train_small_model(tmp_path / "model", scale=0.1)
    loads = []
    real_load = fasttext_model.TextClassifier.load.__func__
    monkeypatch.setattr(fasttext_model.TextClassifier, "load",
                        classmethod(lambda cls, *a, **k: loads.append(a) or real_load(cls, *a, **k)))
    records = [Record(id=f"p{i}", source="web", text=t) for i, t in enumerate(
        ["def f(x):\n    return sorted(x)", "已知函数f(x)=x²，求最小值。", "The weather is fine today."] * 10)]
    with BeamTestPipeline(argv=FAST) as p:
        funnel = Funnel()
        scored = funnel.apply(p | beam.Create(records), "recall_score", ScorePages(str(model)))
        keys = scored | beam.Map(lambda r: (r.id, sorted(r.scores)))
        assert_that(keys, equal_to([(r.id, ["recall_code", "recall_math", "recall_other"]) for r in records]))
    assert 1 <= len(loads) <= 2  # once per DoFn instance, never per element or bundle


def test_select_pipeline_caps_positives_and_samples_negatives_exactly(sample, tmp_path):
    config = load_config(write_config(tmp_path, max_seed_pages=20, negative_ratio=1.5))
    with beam.Pipeline(argv=FAST) as p:
        build_select_pipeline(p, config, str(sample / "pages.jsonl"), str(tmp_path / "iter-1"))
    examples = read_parquet_records(str(tmp_path / "iter-1" / "train" / "*.parquet"))
    counts = json.loads((tmp_path / "iter-1" / "stats" / "select.json").read_text())
    by_label = {label: sum(e.category == label for e in examples) for label in ("code", "math", "other")}
    # Negatives balanced per class: the ratio times the largest category's positives, not their sum.
    assert by_label == {"code": 20, "math": 20, "other": 30} == counts["examples"]
    lines = (sample / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    pages = {json.loads(line)["id"]: json.loads(line) for line in lines}
    seed_sites = {"stackoverflow.com": "code", "docs.python.org": "code", "segmentfault.com": "code",
                  "math.stackexchange.com": "math", "mathoverflow.net": "math", "shuxue.example.cn": "math"}
    on_sites = [seed_sites[p["domain"]] for p in pages.values() if p["domain"] in seed_sites]
    # Every seed-site page, plus the two lines of the math seed file.
    assert counts["seed_pages_found"] == {"code": on_sites.count("code"), "math": on_sites.count("math") + 2}
    for e in examples:
        page = pages.get(e.meta["page_id"])
        if e.category == "other":
            assert page["domain"] not in seed_sites
        elif page is not None:
            assert page["domain"] in seed_sites
    assert len({e.meta["page_id"] for e in examples}) == len(examples)


def run_recall_cli(config: Path, sample: Path, out: Path, *beam_args: str) -> dict:
    assert main(["recall", "--config", str(config), "--pages", str(sample / "pages.jsonl"), "--output", str(out),
                 *beam_args]) == 0
    return json.loads((out / "recall" / "summary.json").read_text())


@pytest.mark.slow
def test_recall_command_end_to_end(sample, tmp_path):
    reviewed = tmp_path / "reviewed.tsv"
    reviewed.write_text("none\talgebra-help.example.org/lessons\ncode\tbigportal.example.com/tech\n")
    config = write_config(tmp_path, annotations_file=str(reviewed))
    out = tmp_path / "out"
    summary = run_recall_cli(config, sample, out)
    assert summary["iterations"] == 2 and summary["pages"] == "pages"
    recall = out / "recall"
    for n in (1, 2):
        for name in ("model/model.bin", "model/tokenizer.json", "model/classifier.json", "annotations.tsv",
                     "domains.tsv", "counts.json", "score_histogram.json"):
            assert (recall / f"iter-{n}" / name).is_file(), (n, name)
        assert not (recall / f"iter-{n}" / "pages").exists()  # pages are kept once, in recall/pages
    pages = read_parquet_records(str(recall / "pages" / "*.parquet"))
    n_input = len((sample / "pages.jsonl").read_text(encoding="utf-8").splitlines())
    assert len(pages) == n_input
    assert {p.category for p in pages} == {"code_web", "math_web", "text"}
    assert all({"recall_code", "recall_math", "recall_other"} <= set(p.scores) for p in pages)
    assert sum(p.category == "code_web" for p in pages) <= 120  # the code budget, in pages

    # The loop found a code/math site the seed does not name, and the reviewed file overrode it.
    first = (recall / "iter-1" / "annotations.tsv").read_text()
    assert "devnotes.example.com/posts\t" in first or "aoshu.example.cn/ti\t" in first
    assert "none\talgebra-help.example.org/lessons" in first and "code\tbigportal.example.com/tech" in first
    tech = [p for p in pages if "bigportal.example.com/tech/" in p.url]
    assert tech and all(p.meta.get(META_SEED) == "code" or p.meta[META_LABEL] == "code" for p in tech)
    assert not any(p.meta.get(META_SEED) for p in pages if "algebra-help.example.org" in p.url)

    # Uncollected pages under annotated paths joined the seed: iteration 2 trained on more positives.
    c1, c2 = (json.loads((recall / f"iter-{n}" / "counts.json").read_text()) for n in (1, 2))
    grown = sum(c2["training"]["examples"][k] for k in ("code", "math"))
    assert grown > sum(c1["training"]["examples"][k] for k in ("code", "math"))
    assert c1["new_fraction"] == 1.0 and summary["new_fraction"][1] == c2["new_fraction"]
    assert c1["score"]["pages"]["code"] > 0 and c1["score"]["pages"]["math"] > 0

    # Each iteration's histogram holds every page's score per category; the two models score differently.
    hists = [json.loads((recall / f"iter-{n}" / "score_histogram.json").read_text()) for n in (1, 2)]
    for n, doc in enumerate(hists, 1):
        assert doc["iteration"] == n and sorted(doc["classifiers"]) == ["code", "math"]
        for h in doc["classifiers"].values():
            assert h["edges"] == [i / 20 for i in range(21)] and sum(h["counts"]) == n_input
        top = sum(doc["classifiers"]["code"]["counts"][10:])  # pages scoring >= 0.5 for code
        assert 0 < top < n_input
    assert hists[0]["classifiers"] != hists[1]["classifiers"]

    # Same input and config: the same bytes (here, iteration 1 of a one-iteration run on another runner).
    again = tmp_path / "again"
    run_recall_cli(write_config(tmp_path / "c2", annotations_file=str(reviewed), iterations=1), sample, again, *FAST)
    for name in ("model/model.bin", "model/tokenizer.json", "model/classifier.json", "annotations.tsv",
                 "domains.tsv", "score_histogram.json", "train/part-00000-of-00002.parquet", "train/part-00001-of-00002.parquet"):
        assert (recall / "iter-1" / name).read_bytes() == (again / "recall" / "iter-1" / name).read_bytes(), name


def test_score_histogram_has_every_label_and_bin():
    assert [histogram_bin(x, bins=4) for x in (0.0, 0.2499, 0.25, 0.99, 1.0)] == [0, 0, 1, 3, 3]
    doc = json.loads(score_histogram_json([(("math", 3), 2), (("code", 0), 5), (("math", 3), 1)],
                                          ["code", "math", "none"], 7, bins=4))
    assert doc == {"iteration": 7, "classifiers": {
        "code": {"edges": [0.0, 0.25, 0.5, 0.75, 1.0], "counts": [5, 0, 0, 0]},
        "math": {"edges": [0.0, 0.25, 0.5, 0.75, 1.0], "counts": [0, 0, 0, 3]},
        "none": {"edges": [0.0, 0.25, 0.5, 0.75, 1.0], "counts": [0, 0, 0, 0]},
    }}


def test_recall_over_github_files(tmp_path):
    rows = []
    docs = make_pages.generate_pages(seed=3, scale=0.3)
    repo_of = {"code": ("acme/handbook", "guides"), "math": ("lab/notes", "proofs"), "other": ("town/diary", "days")}
    for i, page in enumerate(docs):
        repo, folder = repo_of[page["meta"]["truth"]]
        if page["meta"]["truth"] != "other" and i % 2:
            repo, folder = "mixed/wiki", page["meta"]["truth"] + "-pages"
        rows.append({"id": f"g{i:04d}", "source": "github", "repo": repo, "path": f"{folder}/{i}.md",
                     "text": page["text"], "category": "code"})
    (tmp_path / "files.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    data = json.loads(json.dumps(CONFIG))
    data["recall"].update(source="github", iterations=1)
    data["recall"]["fasttext"]["min_count"] = 1
    data["recall"]["categories"] = {
        "code": {"url_patterns": ["acme/handbook"], "output_category": "code"},
        "math": {"url_patterns": ["lab/notes/proofs"], "output_category": "math_web"},
    }
    config = tmp_path / "github.yaml"
    config.write_text(yaml.safe_dump(data))
    assert main(["recall", "--config", str(config), "--pages", str(tmp_path / "files.jsonl"),
                 "--output", str(tmp_path / "out"), *FAST]) == 0
    recall = tmp_path / "out" / "recall"
    domains = (recall / "iter-1" / "domains.tsv").read_text()
    assert "mixed/wiki\t" in domains  # a repository is the unit a domain is for web pages
    annotations = (recall / "iter-1" / "annotations.tsv").read_text()
    assert "mixed/wiki/code-pages\t" in annotations or "mixed/wiki/math-pages\t" in annotations
    files = read_parquet_records(str(recall / "pages" / "*.parquet"))
    assert len(files) == len(rows) and {f.category for f in files} <= {"code", "math_web", "text"}


def test_scoring_survives_pickling_across_processes(tmp_path):
    # multi_processing pickles every DoFn and step as a distributed runner does; the model loads in workers.
    model = train_small_model(tmp_path / "model", scale=0.1)
    records = [Record(id=f"p{i}", source="web", text=f"def f{i}(x):\n    return x") for i in range(6)]
    with beam.Pipeline(argv=["--runner=DirectRunner", "--direct_running_mode=multi_processing",
                             "--direct_num_workers=2", "--pickle_library=cloudpickle"]) as p:
        scored = Funnel().apply(p | beam.Create(records), "recall_score", ScorePages(str(model)))
        best = scored | beam.Map(lambda r: max(("code", "math", "other"), key=lambda k: r.scores[f"recall_{k}"]))
        assert_that(best, equal_to(["code"] * 6))


def test_token_budget_counts_tokens_of_pages_without_a_count(tmp_path):
    model = train_small_model(tmp_path / "model", scale=0.1)
    step = ScorePages(str(model), count_tokens=True)
    step.setup()
    text = "def f(x):\n    return x  # 求和\n" * 50
    assert step(Record(id="a", source="web", text=text)).tokens == len(step._classifier.tokens(text)) > 50
    assert step(Record(id="b", source="web", text=text, tokens=7)).tokens == 7  # a count already there stays


def test_iteration_trains_with_a_given_tokenizer_json(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    from classifiers.bpe_tokenizer import fingerprint, load_tokenizer
    from pipeline.recall_driver import train_iteration
    from pipeline.record import records_to_table
    from pipeline.sinks import write_table

    # Not a byte-level BPE: a word-level tokenizer.json, as a user might point at any HF file.
    words = {w: i for i, w in enumerate(["[UNK]", "def", "return", "x", "函数", "the", "weather", "sunny", "(", ")"])}
    wordlevel = Tokenizer(models.WordLevel(words, unk_token="[UNK]"))
    wordlevel.pre_tokenizer = pre_tokenizers.Whitespace()
    wordlevel.save(str(tmp_path / "tokenizer.json"))
    examples = [Record(id=f"{i:04x}", source="web", text=t, category=c) for i, (c, t) in enumerate(
        [("code", "def x ( ) return x 函数"), ("other", "the weather sunny")] * 10)]
    (tmp_path / "iter-1" / "train").mkdir(parents=True)
    write_table(records_to_table(examples), str(tmp_path / "iter-1" / "train" / "part-00000-of-00001.parquet"))
    data = json.loads(json.dumps(CONFIG))
    data["tokenizer"] = {"path": "tokenizer.json"}
    data["recall"]["fasttext"]["min_count"] = 1
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    meta = train_iteration(load_config(tmp_path / "c.yaml"), str(tmp_path / "iter-1"), 1, len(examples))
    assert meta["tokenizer_sha256"] == fingerprint(load_tokenizer(tmp_path / "tokenizer.json"))
    scores = fasttext_model.TextClassifier.load(tmp_path / "iter-1" / "model").scores("def x return")
    assert scores["code"] > scores["other"]


def test_recall_command_names_missing_pages_and_refuses_its_own_output(tmp_path, capsys):
    config = write_config(tmp_path)
    assert main(["recall", "--config", str(config), "--pages", str(tmp_path / "none" / "*.jsonl"),
                 "--output", str(tmp_path / "out")]) == 2
    assert "none/*.jsonl" in capsys.readouterr().err
    assert main(["recall", "--config", str(config), "--pages", str(tmp_path / "out/recall/pages/*.parquet"),
                 "--output", str(tmp_path / "out")]) == 2
    assert "rewrites" in capsys.readouterr().err


def test_batched_scores_equal_page_by_page_scores(tmp_path, monkeypatch):
    from classifiers.bpe_tokenizer import fasttext_safe
    from classifiers.fasttext_model import TextClassifier

    model = train_small_model(tmp_path / "model", scale=0.1)
    pages = [text for _, text, _ in labelled_pages(scale=0.1, seed=3)]
    # Longer than max_chars (20,000 here: the page is cut and counted whole), empty, and lines of odd bytes.
    pages += [pages[0] * (20_000 // max(1, len(pages[0])) + 2), "", "\t\n \u3000", "x" * 25_000 + " 中文"]
    records = [Record(id=f"p{i:03d}", source="web", text=t, tokens=7 if i % 5 == 4 else 0) for i, t in enumerate(pages)]
    # Page by page, the way scoring read pages before batches: encode() with offsets, token strings escaped.
    classifier = TextClassifier.load(model)
    tokenizer, max_chars = classifier.tokens.tokenizer, classifier.tokens.max_chars
    assert any(len(t) > max_chars for t in pages)

    def one_page(record: Record) -> tuple[str, dict, int]:
        words = fasttext_safe(tokenizer.encode(record.text[:max_chars], add_special_tokens=False).tokens)
        scores = {f"recall_{k}": v for k, v in classifier.scores_of_tokens(words).items()}
        tokens = record.tokens or len(tokenizer.encode(record.text, add_special_tokens=False).ids)
        return record.id, scores, tokens

    expected = [one_page(r) for r in records]
    step = ScorePages(str(model), count_tokens=True)
    assert [(r.id, r.scores, r.tokens) for r in step.batch(records)] == expected
    monkeypatch.setattr(ScorePages, "batch_records", 4)  # several batches per bundle, the last one flushed at its end
    with BeamTestPipeline(argv=FAST) as p:
        scored = Funnel().apply(p | beam.Create(records), "recall_score", ScorePages(str(model), count_tokens=True))
        assert_that(scored | beam.Map(lambda r: (r.id, r.scores, r.tokens)), equal_to(expected))
