"""Token counting and encoding behind one switch: a `tokenizer.json` (HF tokenizers) when configured, else an
estimate.

`TokenCounter` is the one place the mix asks "how many tokens" and "which ids". Without a tokenizer file the
count is an estimate, ceil(UTF-8 bytes / 4): byte-level BPEs with ~100K vocabularies average 3.5-4.5 bytes per
token on English prose and source code, so weights planned on estimates are close but not exact; the manifest
says which.

Text is never encoded as a special token: document text goes through a copy of the tokenizer without its added
tokens, so a file that contains `<｜fim▁begin｜>` or `<｜end▁of▁sentence｜>` gets the ids of those characters. The
special ids appear only where the mix puts them: the FIM sentinels and end of a PSM document (whose pieces are
known from `meta["fim_psm"]`) and the end token after each document in token outputs.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mixing import fim as _fim
from pipeline.utf8 import utf8_size

FALLBACK_BYTES_PER_TOKEN = 4.0
DEEPSEEK_END = "<\uff5cend\u2581of\u2581sentence\uff5c>"  # DeepSeek-V2's tokenizer: <｜end▁of▁sentence｜>
# The end token when the config names none and the tokenizer lacks DeepSeek's (SPEC §4 writes <|eos|>).
SPEC_END = "<|eos|>"


def _read(path: str, read_bytes: Callable[[str], bytes] | None) -> bytes:
    try:
        return (read_bytes or _read_local)(path)
    except Exception as err:  # noqa: BLE001 (any filesystem's error: we name the file)
        raise ValueError(f"cannot load tokenizer {path}: {err}") from None


def _tokenizers_from(blob: bytes, path: str):
    """(full tokenizer, plain-text tokenizer): the second has no added tokens, so it never emits one."""
    from tokenizers import Tokenizer

    try:
        text = blob.decode("utf-8")
        full = Tokenizer.from_str(text)
        spec = json.loads(text)
        spec["added_tokens"] = []
        plain = Tokenizer.from_str(json.dumps(spec))
    except Exception as err:  # noqa: BLE001 (tokenizers raises bare Exceptions; we name the file)
        raise ValueError(f"cannot load tokenizer {path}: {err}") from None
    return full, plain


def _read_local(path: str) -> bytes:
    return Path(path).read_bytes()


def estimate_tokens(text: str, *, bytes_per_token: float = FALLBACK_BYTES_PER_TOKEN) -> int:
    return math.ceil(utf8_size(text) / bytes_per_token)


@dataclass(frozen=True)
class SpecialTokens:
    """The strings the mix inserts as single tokens (config `mix.special_tokens`)."""

    end: str = DEEPSEEK_END
    fim_begin: str = _fim.FIM_BEGIN
    fim_hole: str = _fim.FIM_HOLE
    fim_end: str = _fim.FIM_END

    def as_dict(self) -> dict[str, str]:
        return {"end": self.end, "fim_begin": self.fim_begin, "fim_hole": self.fim_hole, "fim_end": self.fim_end}


def default_end(tokenizer_vocab: Mapping[str, int] | None) -> str:
    """DeepSeek's end token when there is no tokenizer or it has it; else SPEC §4's `<|eos|>`."""
    if tokenizer_vocab is None or DEEPSEEK_END in tokenizer_vocab:
        return DEEPSEEK_END
    return SPEC_END


class TokenCounter:
    """Counts and encodes documents; picklable, the tokenizer loads in `setup()`."""

    def __init__(
        self,
        tokenizer_path: str | None,
        read_bytes: Callable[[str], bytes] | None = None,
        special: SpecialTokens = SpecialTokens(),
    ):
        self.tokenizer_path = tokenizer_path
        self.read_bytes = read_bytes
        self.special = special
        self._full = self._plain = None
        self._ids: dict[str, int] = {}
        self._sha256 = ""

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_full": None, "_plain": None}  # a worker loads its own copy in setup()

    @property
    def description(self) -> str:
        if self.tokenizer_path:
            return f"tokenizer.json {self.tokenizer_path}"
        return f"estimate: ceil(utf-8 bytes / {FALLBACK_BYTES_PER_TOKEN:g})"

    def setup(self) -> None:
        if self.tokenizer_path and self._full is None:
            blob = _read(self.tokenizer_path, self.read_bytes)
            self._full, self._plain = _tokenizers_from(blob, self.tokenizer_path)
            self._sha256 = hashlib.sha256(blob).hexdigest()

    def check_special(self, needed: tuple[str, ...], key: str = "mix.special_tokens") -> dict[str, int]:
        """The id of each needed special token (by field name); a string the tokenizer lacks fails, naming
        `key.<name>`. Called at pipeline construction, so a wrong name stops the run before it starts."""
        self.setup()
        ids = {}
        for name in needed:
            string = getattr(self.special, name)
            found = self._full.token_to_id(string)
            if found is None:
                raise ValueError(
                    f"{key}.{name}: {string!r} is not a token of {self.tokenizer_path}; set it to one of the "
                    f"tokenizer's added tokens (e.g. {sorted(self.added_tokens())[:6]})"
                )
            ids[name] = found
        self._ids.update(ids)
        return ids

    def added_tokens(self) -> dict[str, int]:
        self.setup()
        return {t.content: i for i, t in self._full.get_added_tokens_decoder().items()}

    def identity(self) -> dict:
        """What the manifest says about the tokenizer: path, sha256 of the file, vocabulary size."""
        if not self.tokenizer_path:
            return {"kind": "estimate", "description": self.description}
        self.setup()
        return {
            "kind": "tokenizer.json", "path": self.tokenizer_path, "sha256": self._sha256,
            "vocab_size": self._full.get_vocab_size(with_added_tokens=True),
        }

    def plain_ids(self, text: str) -> list[int]:
        """`text` as plain text: special-token strings inside it become the ids of their characters."""
        if not self.tokenizer_path:
            raise ValueError("token ids need a tokenizer: set tokenizer.path to a tokenizer.json")
        self.setup()
        return self._plain.encode(text, add_special_tokens=False).ids

    def encode(self, text: str, fim_psm: str = "") -> np.ndarray:
        """A document's ids (uint32): plain text, or for a PSM document (`fim_psm` = "prefix,suffix,middle"
        lengths in code points) the sentinels and end as single ids around its plain-text pieces."""
        if not fim_psm:
            return np.asarray(self.plain_ids(text), dtype=np.uint32)
        if len(self._ids) < 4:
            self.check_special(("fim_begin", "fim_hole", "fim_end", "end"))
        ids = self._ids
        prefix, suffix, middle = _fim.split_psm(text, fim_psm, special=self.special)
        out = [ids["fim_begin"], *self.plain_ids(prefix), ids["fim_hole"], *self.plain_ids(suffix),
               ids["fim_end"], *self.plain_ids(middle), ids["end"]]
        return np.asarray(out, dtype=np.uint32)

    def count(self, text: str, fim_psm: str = "") -> int:
        """The number of tokens of the document (no end token appended)."""
        if not self.tokenizer_path:
            return estimate_tokens(text)
        return len(self.encode(text, fim_psm))

    def end_id(self) -> int:
        if "end" not in self._ids:
            self.check_special(("end",))
        return self._ids["end"]
