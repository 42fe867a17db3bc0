from __future__ import annotations

import pytest

from pipeline.config import ConfigError, parse_config


def test_web_defaults_and_inputs():
    config = parse_config({"inputs": {"web": {"paths": ["a/*.warc.gz"], "paths_files": [{"file": "warc.paths.gz"}]}}})
    assert config.inputs.web.paths_files[0].prefix == ""
    assert config.web.allowed_mime == ["text/html", "application/xhtml+xml"]
    assert config.web.extraction.engine == "resiliparse" and config.web.extraction.discussion_comments


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"web": {"extraction": {"timeout_s": 0}}}, "web.extraction.timeout_s"),
        ({"web": {"extraction": {"favor_precision": True, "favor_recall": True}}}, "web.extraction"),
        ({"web": {"extraction": {"engine": "readability"}}}, "web.extraction.engine"),
        ({"web": {"allowed_mime": ["html"]}}, "web.allowed_mime"),
        ({"web": {"allowed_mime": []}}, "web.allowed_mime"),
        ({"web": {"max_record_bytes": -1}}, "web.max_record_bytes"),
        ({"web": {"extraction": {"timeout": 3}}}, "web.extraction.timeout: unknown key"),
        ({"inputs": {"web": {"paths_files": [{"prefix": "s3://x/"}]}}}, "inputs.web.paths_files.0.file"),
    ],
)
def test_bad_web_config_names_the_key(section, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config(section, "bad.yaml")


def test_precision_instead_of_recall_is_allowed_when_said_so():
    extraction = parse_config({"web": {"extraction": {"favor_precision": True, "favor_recall": False}}}).web.extraction
    assert extraction.favor_precision and not extraction.favor_recall
