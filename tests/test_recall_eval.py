"""Evaluation: metrics, recall at fixed precision, labelled sets, and `codecorpus eval-classifier`."""
from __future__ import annotations

import json

import pytest
from recall_sample import labelled_pages, train_small_model

from classifiers.eval import per_label_metrics, read_labelled, recall_at_precision
from pipeline.cli import main


def test_per_label_metrics():
    m = per_label_metrics(["code", "code", "math", "other"], ["code", "math", "math", "math"], ["code", "math", "other"])
    assert m["code"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert m["math"]["precision"] == pytest.approx(1 / 3) and m["math"]["recall"] == 1.0
    assert m["other"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_recall_at_precision_uses_only_real_thresholds():
    scores = [0.9, 0.8, 0.8, 0.7, 0.1]
    positive = [True, True, False, True, False]
    assert recall_at_precision(scores, positive, 1.0) == pytest.approx(1 / 3)  # the tie at 0.8 cannot be split
    assert recall_at_precision(scores, positive, 0.75) == 1.0
    assert recall_at_precision([0.5], [False], 0.9) == 0.0


def test_labelled_set_reads_text_and_html_and_names_bad_lines(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        json.dumps({"label": "math", "text": "x^2", "lang": "en"}) + "\n"
        + json.dumps({"label": "code", "html": "<html><body><p>def f(): 求和</p></body></html>"}) + "\n"
    )
    examples = read_labelled(path, ["code", "math", "other"])
    assert [(e.label, e.lang) for e in examples] == [("math", "en"), ("code", "")]
    assert "def f(): 求和" in examples[1].text
    path.write_text(json.dumps({"label": "physics", "text": "x"}) + "\n")
    with pytest.raises(ValueError, match=r"set.jsonl:1: key 'label'"):
        read_labelled(path, ["code", "math", "other"])


def test_eval_classifier_command_reports_per_category_and_language(tmp_path, capsys):
    model = train_small_model(tmp_path / "model")
    labels = tmp_path / "labels.jsonl"
    rows = labelled_pages(scale=0.1, seed=99)  # other pages than the model saw
    labels.write_text("".join(json.dumps({"label": lb, "text": t, "lang": lang}, ensure_ascii=False) + "\n"
                              for lb, t, lang in rows), encoding="utf-8")
    out_json = tmp_path / "figures.json"
    assert main(["eval-classifier", "--model", str(model), "--labels", str(labels), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "precision" in printed and "zh (" in printed and "en (" in printed
    figures = json.loads(out_json.read_text())
    assert set(figures) == {"all", "en", "zh"}
    for lang in ("en", "zh"):
        for label in ("code", "math", "other"):
            assert figures[lang][label]["support"] > 0
            assert figures[lang][label]["f1"] > 0.8, (lang, label, figures[lang][label])


def test_eval_classifier_refuses_a_missing_model(tmp_path, capsys):
    assert main(["eval-classifier", "--model", str(tmp_path / "nope"), "--labels", str(tmp_path / "x")]) == 2
    assert "nope" in capsys.readouterr().err
