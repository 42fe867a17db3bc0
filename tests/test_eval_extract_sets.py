"""eval-extract reads the hand-transcribed htmltotext-benchmark pages into forum, Chinese and article rows."""
from __future__ import annotations

from evals import eval_extract


def test_htmltotext_pages_are_grouped_by_the_labellers_names(tmp_path, monkeypatch):
    root = tmp_path / eval_extract.HTMLTOTEXT / "benchmarkdata"
    pages = {("de", "forum-a"): "Ein Faden", ("zh", "news-b"): "新闻", ("en", "blog-c"): "A post", ("en", "news-d"): None}
    for (lang, name), gold in pages.items():
        (root / lang / "html").mkdir(parents=True, exist_ok=True)
        (root / lang / "text").mkdir(parents=True, exist_ok=True)
        (root / lang / "html" / f"{name}.html").write_bytes(f"<html><body><p>{gold}</p></body></html>".encode("gb18030"
                                                            if lang == "zh" else "utf-8"))
        if gold is not None:  # a page without its text is left out
            (root / lang / "text" / f"{name}.txt").write_text(gold, encoding="utf-8")
    monkeypatch.setattr(eval_extract, "SETS", tmp_path)
    sets = eval_extract.load_htmltotext_sets()
    assert {name: [p["id"] for p in rows] for name, rows in sets.items()} == {
        "Q&A/forum (htmltotext, real)": ["de/forum-a"], "Chinese (htmltotext, real)": ["zh/news-b"],
        "articles (htmltotext, real)": ["en/blog-c"],
    }
    assert sets["Chinese (htmltotext, real)"][0]["gold"] == "新闻"
    monkeypatch.setattr(eval_extract, "SETS", tmp_path / "absent")
    assert eval_extract.load_htmltotext_sets() == {}
