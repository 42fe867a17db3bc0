"""A small mix through Beam with a tiny tokenizer, FIM and both token outputs (shared by the mix tests)."""
from __future__ import annotations

import random
from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from mixing.fim import FIM_BEGIN, FIM_END, FIM_HOLE
from mixing.tokens import DEEPSEEK_END
from pipeline.config import parse_config
from pipeline.mix_transforms import write_mix
from pipeline.record import Record
from pipeline.stages import Funnel

REPO = Path(__file__).resolve().parent.parent
# Strings that are special tokens of the tokenizer: inside a document they must be encoded as plain text.
# The venv of the readers that cannot install beside Beam (tests/mix_read.py): `make test` makes it and sets this.
READERS_PYTHON = "CODECORPUS_READERS_PYTHON"
READERS_DEFAULT = REPO / ".venv-readers" / "bin" / "python"
SENTINELS = (FIM_BEGIN, FIM_HOLE, FIM_END, DEEPSEEK_END, "<|eos|>")
WORDS = ["alpha", "beta", "gamma", "delta", "value", "index", "return", "lambda", "matrix", "vector", "prime", "sum", "total", "count"]


def make_records(seed: int = 0) -> dict[str, list[Record]]:
    rng = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    return {
        "code": [Record(id=f"code-{i}", source="github", text=f"def f{i}(x):\n    return {text(rng.randint(10, 40))}\n",
                        language=rng.choice(["Python", "Python", "C"]), category="code") for i in range(400)]
        + [Record(id=f"code-s{i}", source="github", text=f"s = '{s}'\n# {text(8)} {s}\n", language="Python",
                  category="code") for i, s in enumerate(SENTINELS)],
        "math_web": [Record(id=f"math-{i}", source="web", text=text(rng.randint(30, 90)), category="math_web")
                     for i in range(12)],
        "text": [Record(id=f"text-{i}", source="text", text=text(rng.randint(8, 20))) for i in range(800)]
        + [Record(id=f"text-s{i}", source="text", text=f"{text(5)} {s} {text(5)}") for i, s in enumerate(SENTINELS)],
    }


def run_mix(out: Path, tokenizer: Path, reverse: bool = False) -> Funnel:
    config = parse_config({
        "seed": 7,
        "mix": {
            "weights": {"code": 0.6, "math": 0.1, "text": 0.3}, "total_tokens": 60000,
            "short_policy": "upsample", "max_repeats": 3,
            "target_shard_bytes": 12000, "tokens": {"formats": ["megatron", "u32"]},
            "fim": {"enabled": True, "rate": 0.5},
        },
        "tokenizer": {"path": str(tokenizer)},
    })
    funnel = Funnel()
    records = make_records()
    with BeamTestPipeline() as p:
        inputs = {c: p | f"Create_{c}" >> beam.Create(rs[::-1] if reverse else rs) for c, rs in records.items()}
        write_mix(inputs, funnel, config, str(out))
    return funnel


def train_tokenizer(path) -> None:
    """A tiny byte-level BPE saved as tokenizer.json (the shape of DeepSeek's, 300 tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=[FIM_BEGIN, FIM_HOLE, FIM_END, DEEPSEEK_END, "<|eos|>"])
    tok.train_from_iterator(["def add(a, b):\n    return a + b\n" * 20, "the quick brown fox " * 50], trainer)
    tok.save(str(path))


def read_elsewhere(python_var: str, *args: object, default: Path | None = None, timeout: float = 900) -> dict:
    """tests/mix_read.py run by the interpreter that the environment variable `python_var` names (else
    `default` when it exists): its JSON. When the variable is set, as `make test` sets it, a missing venv or
    reader fails the test; otherwise the test skips and says which make target provides it."""
    import json
    import os
    import subprocess

    import pytest
    from mix_read import UNUSABLE

    python = os.environ.get(python_var) or (str(default) if default and default.exists() else "")
    required = bool(os.environ.get(python_var))

    def missing(why: str) -> None:
        if required:
            pytest.fail(f"{why} ({python_var}={python} is set, so this reader must run)")
        pytest.skip(f"{why} (set {python_var}; see docs/mix.md, 'Readers')")

    if not python or not Path(python).exists():
        missing(f"no interpreter for tests/mix_read.py {args[0]}: {python or python_var + ' is unset'}")
    run = subprocess.run([python, str(REPO / "tests" / "mix_read.py"), *map(str, args)], check=False,
                         capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if run.returncode == UNUSABLE:
        missing(run.stderr.strip())
    assert run.returncode == 0, f"{python} tests/mix_read.py {' '.join(map(str, args))}:\n{run.stderr[-4000:]}"
    return json.loads(run.stdout)
