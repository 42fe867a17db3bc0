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
        write_mix(inputs, config, funnel, str(out))
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
