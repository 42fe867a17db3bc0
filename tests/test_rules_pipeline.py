"""The language and file-rule steps wired through Beam (TestPipeline), with their drops counted."""

from __future__ import annotations

import functools

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.build import file_rules_step, language_step
from pipeline.config import FileRules
from pipeline.record import Record
from pipeline.stages import Funnel

FILES = {
    "keep.py": "def f(x):\n    return x + 1\n",
    "keep.h": "#include <vector>\nclass A { std::vector<int> v; };\n",
    "drop.unknownext": "whatever\n",
    "pom.xml": '<?xml version="1.0"?>\n<project>some text here</project>\n',
    "transform.xsl": '<?xml version="1.0"?>\n<xsl:stylesheet version="1.0"/>\n',
    "tiny.json": "{}\n",
    "bundle.min.js": "var a=1;\n",
}


def _record(path: str) -> Record:
    return Record(id=path, source="github", text=FILES[path], repo="r", path=path)


def test_language_and_rules_steps_through_beam():
    with BeamTestPipeline() as p:
        funnel = Funnel()
        files = p | beam.Create([_record(path) for path in sorted(FILES)])
        files = funnel.apply(files, "language", language_step)
        files = funnel.apply(
            files, "file_rules", functools.partial(file_rules_step, rules=FileRules())
        )
        kept = files | "Ids" >> beam.Map(lambda r: (r.id, r.language))
        assert_that(kept, equal_to([("keep.py", "Python"), ("keep.h", "C++"), ("transform.xsl", "XSLT")]))
        drops = (
            funnel.drops | "AllDrops" >> beam.Flatten() | beam.Map(lambda sd: (sd[0], sd[1].id, sd[1].reason))
        )
        assert_that(
            drops,
            equal_to(
                [
                    ("language", "drop.unknownext", "unknown_language"),
                    ("file_rules", "pom.xml", "xml_header"),
                    ("file_rules", "tiny.json", "json_yaml_size"),
                    ("file_rules", "bundle.min.js", "minified"),
                ]
            ),
            label="Drops",
        )
