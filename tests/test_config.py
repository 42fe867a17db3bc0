from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pipeline.config import ConfigError, bundled_config_path, load_config, parse_config


@pytest.mark.parametrize("name", ["local.yaml", "deepseek-coder-v2.yaml"])
def test_bundled_configs_load(name):
    config = load_config(bundled_config_path(name))
    assert config.fingerprint() == load_config(bundled_config_path(name)).fingerprint()


def test_unknown_key_names_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("filters:\n  max_line_lenght: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "filters.max_line_lenght: unknown key" in str(err.value)


def test_out_of_range_and_wrong_type_are_reported():
    with pytest.raises(ConfigError) as err:
        parse_config({"seed": "abc", "filters": {"min_alpha_fraction": 1.5}}, "x.yaml")
    message = str(err.value)
    assert "seed" in message and "filters.min_alpha_fraction" in message and "1.5" in message


def test_relative_paths_resolve_against_config_folder(tmp_path):
    data = {"inputs": {"text": {"paths": ["data/x", "gs://bucket/x"]},
                       "github": {"paths": ["git@github.com:o/r.git", "~/repos"]},
                       "web": {"paths_files": [{"file": "warc.paths", "prefix": "crawl/"}]}},
            "tokenizer": {"path": "tok/tokenizer.json"}}
    config = parse_config(data, str(tmp_path / "c.yaml"))
    local, remote = config.inputs.text.paths
    assert local.resolved == str(tmp_path / "data" / "x")
    assert remote.resolved == "gs://bucket/x"
    assert [p.resolved for p in config.inputs.github.paths] == [
        "git@github.com:o/r.git", str(Path("~/repos").expanduser().resolve())]
    (pf,) = config.inputs.web.paths_files
    assert (pf.file.resolved, pf.prefix.resolved) == (str(tmp_path / "warc.paths"), str(tmp_path / "crawl"))
    assert config.tokenizer.path.resolved == str(tmp_path / "tok" / "tokenizer.json")
    assert config.recall.annotations_file.resolved == ""
    # Resolved when loaded, spelled as written: the same config in another folder has the same fingerprint
    # and dumps the spelling (outputs, the manifest and phase fingerprints read it).
    elsewhere = parse_config(data, str(tmp_path / "other" / "c.yaml"))
    assert local == "data/x" and config.model_dump(mode="json") == elsewhere.model_dump(mode="json") == \
        parse_config(data).model_dump(mode="json")
    assert config.fingerprint() == elsewhere.fingerprint()
    assert elsewhere.inputs.text.paths[0].resolved == str(tmp_path / "other" / "data" / "x")
    assert parse_config(data).inputs.text.paths[0].resolved == "data/x"  # no file: as written, as before
    copied = pickle.loads(pickle.dumps(config))
    assert copied.inputs.text.paths[0].resolved == local.resolved and copied == config


def test_non_mapping_top_level(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_paper_config_uses_the_rule_modules_defaults():
    from pipeline.config import FileRules

    config = load_config(bundled_config_path("deepseek-coder-v2.yaml"))
    assert config.filters == FileRules()


def test_json_yaml_range_must_be_ordered():
    with pytest.raises(ConfigError, match="json_yaml_min_chars must not exceed"):
        parse_config({"filters": {"json_yaml_min_chars": 10, "json_yaml_max_chars": 5}}, "x.yaml")


def test_dedup_and_recall_values_have_their_default_only_in_the_config():
    """A plain module's parameter that is a config value takes no default of its own: a second default
    would silently disagree with config `dedup` / `recall` (changing it used to change nothing)."""
    import inspect

    from classifiers.recall_selection import path_is_annotated, related_label
    from dedup.lsh import bands_rows
    from dedup.minhash import MinHasher
    from dedup.shingles import ShingleHasher, shingles
    from dedup.survivor import node_key

    config_params = [
        (bands_rows.__wrapped__, ("threshold", "num_perm", "false_positive_weight", "false_negative_weight")),
        (MinHasher.__init__, ("num_perm", "seed", "ngram")),
        (ShingleHasher.__init__, ("ngram",)),
        (shingles, ("ngram",)),
        (node_key, ("rule",)),
        (related_label, ("threshold",)),
        (path_is_annotated, ("min_fraction",)),
    ]
    for function, names in config_params:
        params = inspect.signature(function).parameters
        assert [n for n in names if params[n].default is not inspect.Parameter.empty] == [], function.__qualname__


def test_one_table_maps_recall_labels_categories_and_mix_groups():
    """The fastText label, the record category and the mix group are three words for one idea: the config's
    defaults and the mix's groups are read from pipeline.schema.CATEGORY_TABLE."""
    from mixing.plan import GROUPS, group_of
    from pipeline.config import parse_config
    from pipeline.schema import CATEGORY_TABLE, PAGE_CATEGORIES

    recall = parse_config({}).recall
    labels = {label: c.output_category for label, c in recall.categories.items()}
    assert labels == {c.label: c.name for c in CATEGORY_TABLE if c.label and c.name != recall.other_category}
    assert {group_of(c.name, "code") for c in CATEGORY_TABLE} == set(GROUPS)
    assert all(group_of(c.name, "code") == c.group for c in CATEGORY_TABLE)
    assert PAGE_CATEGORIES == ("code_web", "math_web", "text")


def test_extraction_defaults_have_one_home():
    """extract_text's keyword defaults and config web.extraction both come from ExtractionOptions."""
    import inspect

    from filters.web_extract import DEFAULT_OPTIONS, extract_text
    from pipeline.config import WebExtraction

    params = inspect.signature(extract_text).parameters
    options = WebExtraction().model_dump(exclude={"timeout_s"})
    assert options == {name: params[name].default for name in options} == vars(DEFAULT_OPTIONS)


def test_mix_decontamination_web_and_output_values_have_one_home():
    """The sections audited in session 3: a plain function either takes the value from its section (no keyword
    default) or its keyword default is the module constant the config's default also reads."""
    import dataclasses
    import inspect

    from filters import decontaminate
    from mixing.fim import to_fim
    from mixing.plan import plan_mix
    from pipeline.config import Decontamination, GithubSource, Mix, Output, WebSource
    from pipeline.sources.github import ReadLimits
    from pipeline.sources.warc import read_warc_file
    from pipeline.stages import Funnel

    def defaults(function) -> dict:
        return {n: p.default for n, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}

    mix, web = Mix(), WebSource()
    assert set(defaults(plan_mix)) & set(Mix.model_fields) == set()
    assert "rate" not in defaults(to_fim) and "special" not in defaults(to_fim)
    assert {"max_record_bytes", "allowed_mime"} & set(defaults(read_warc_file)) == set()
    assert mix.weights == {"code": 0.6, "math": 0.1, "text": 0.3} and web.max_record_bytes == 5_000_000
    d = Decontamination()
    config_grams = {"n": d.ngram, "min_exact_grams": d.min_exact_grams, "index_trivial_grams": d.index_trivial_grams}
    for function in (decontaminate.string_grams, decontaminate.batch_string_grams,
                     decontaminate.ContaminationIndex.build):
        assert defaults(function) == config_grams, function.__qualname__
    assert Funnel().rejects_text_chars == Output().rejects_text_chars == 0
    source, limits = GithubSource(), ReadLimits()
    shared = [f.name for f in dataclasses.fields(ReadLimits) if f.name in GithubSource.model_fields]
    assert len(shared) >= 10
    assert {n: getattr(limits, n) for n in shared if n != "dump_columns"} == {
        n: getattr(source, n) for n in shared if n != "dump_columns"}
