"""Token counting behind one switch: a `tokenizer.json` (HF tokenizers) when configured, else an estimate.

`TokenCounter` is the one place the mix asks "how many tokens": when the project's own BPE
(`classifiers/`) lands, it plugs in here. Without a tokenizer file the count is an estimate,
ceil(UTF-8 bytes / 4): byte-level BPEs with ~100K vocabularies average 3.5-4.5 bytes per token on English
prose and source code, so weights planned on estimates are close but not exact; the manifest says which.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

FALLBACK_BYTES_PER_TOKEN = 4.0


def load_tokenizer(path: str, read_bytes: Callable[[str], bytes] | None = None):
    """A `tokenizers.Tokenizer` from the `tokenizer.json` at `path` (read by `read_bytes`, default: local)."""
    from tokenizers import Tokenizer

    try:
        blob = (read_bytes or _read_local)(path).decode("utf-8")
        return Tokenizer.from_str(blob)
    except Exception as err:  # noqa: BLE001 (tokenizers raises bare Exceptions; we name the file)
        raise ValueError(f"cannot load tokenizer {path}: {err}") from None


def _read_local(path: str) -> bytes:
    return Path(path).read_bytes()


def estimate_tokens(text: str, *, bytes_per_token: float = FALLBACK_BYTES_PER_TOKEN) -> int:
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / bytes_per_token)


class TokenCounter:
    """Counts (and, with a tokenizer, encodes) text; picklable, the tokenizer loads in `setup()`."""

    def __init__(self, tokenizer_path: str | None, read_bytes: Callable[[str], bytes] | None = None):
        self.tokenizer_path = tokenizer_path
        self.read_bytes = read_bytes
        self._tokenizer = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_tokenizer": None}  # a worker loads its own copy in setup()

    @property
    def description(self) -> str:
        if self.tokenizer_path:
            return f"tokenizer.json {self.tokenizer_path}"
        return f"estimate: ceil(utf-8 bytes / {FALLBACK_BYTES_PER_TOKEN:g})"

    def setup(self) -> None:
        if self.tokenizer_path and self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_path, self.read_bytes)

    def count(self, text: str) -> int:
        """The number of tokens of `text` (no special tokens added)."""
        if not self.tokenizer_path:
            return estimate_tokens(text)
        self.setup()
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def encode_batch(self, texts: list[str]) -> list[np.ndarray]:
        """Token ids (uint32) of each text; only with a tokenizer file (an estimate has no ids)."""
        if not self.tokenizer_path:
            raise ValueError("token ids need a tokenizer: set tokenizer.path to a tokenizer.json")
        self.setup()
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [np.asarray(e.ids, dtype=np.uint32) for e in encodings]
