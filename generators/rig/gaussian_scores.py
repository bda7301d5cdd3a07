"""The acoustic model's phone-state scores, computed in numpy from its Gaussians.

The bundled en-US model is *phonetically tied*: each context-independent phone has a codebook
of 128 Gaussians in each of three feature streams (cepstra, their deltas, their second
deltas), and each senone (tied triphone state) of that phone mixes its codebook with its own
weights. PocketSphinx scores every senone of every frame this way when asked to
(``compallsen``), but one at a time in C, at about 0.09 s of CPU per second of audio on a
modest core. The lip-sync decoder (:mod:`generators.rig.phone_posteriors`) needs only two
numbers per phone state: the state's context-independent senone and the best of its senones in
any context. Computed here with matrix products over whole blocks of frames, the same scores
cost about a third of that.

The computation follows PocketSphinx's ``ptm_mgau.c``: features by batch cepstral mean
normalisation and deltas over +-2 frames (``1s_c_d_dd``); in each stream the four best
Gaussians of each codebook (``topn``), each floored at :data:`MAX_DENSITY_UNITS` below the
frame's best Gaussian of that stream; mixture weights from the 8-bit ``sendump``. Against the
decoder's own senone log the scores differ by about one score unit (0.1 nat) on average, the
rounding of its integer arithmetic; ``tests/generators/test_rig_gaussian_scores.py`` checks it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from generators.blas_threads import one_blas_thread
from generators.rig.acoustic_model import AcousticModel, acoustic_model, model_dir, s3_body

__all__ = [
    "MAX_DENSITY_UNITS",
    "SCORE_UNIT_NATS",
    "TOP_GAUSSIANS",
    "MixtureModel",
    "ModelGaussians",
    "features",
    "mixture_model",
    "model_gaussians",
    "read_gaussians",
    "read_mixture_weights",
    "state_scores",
]

SCORE_UNIT_NATS: float = float(np.log(1.0001)) * 2**10
"""Natural-log units of one step of a senone score (PocketSphinx's log base 1.0001, shifted
by 10 bits)."""

TOP_GAUSSIANS: int = 4
"""Gaussians of a codebook that count in a frame (PocketSphinx's ``topn``)."""

MAX_DENSITY_UNITS: float = 96.0
"""Floor of a Gaussian's score below the frame's best in its stream, in score units
(``MAX_NEG_ASCR``)."""

_VARIANCE_FLOOR = 1e-4  # PocketSphinx's -varfloor
_DELTA_SPAN = 2  # deltas are x[t + 2] - x[t - 2]


def _ints(data: bytes, offset: int, count: int, order: str) -> tuple[int, ...]:
    """``count`` int32 at ``offset``, or a ValueError if the file ends first."""
    if offset + 4 * count > len(data):
        raise ValueError("the model file is truncated")
    return struct.unpack(f"{order}{count}i", data[offset : offset + 4 * count])


def read_gaussians(path: Path) -> np.ndarray:
    """Read a ``means`` or ``variances`` file.

    Returns
    -------
    numpy.ndarray
        ``(codebooks, streams, densities, dims)`` float64.

    Raises
    ------
    ValueError
        If the streams have different widths or the file is truncated.
    """
    data = path.read_bytes()
    off, order = s3_body(data)
    n_cb, n_stream, n_density = _ints(data, off, 3, order)
    widths = _ints(data, off + 12, n_stream, order) if 0 < n_stream < 16 else ()
    off += 12 + 4 * len(widths)
    (count,) = _ints(data, off, 1, order)
    if not widths or len(set(widths)) != 1 or count != n_cb * n_density * sum(widths):
        raise ValueError(f"{path}: unsupported Gaussian layout")
    if off + 4 + 4 * count > len(data):
        raise ValueError(f"{path} is truncated")
    values = np.frombuffer(data, order + "f4", count, off + 4)
    return values.reshape(n_cb, n_stream, n_density, widths[0]).astype(np.float64)


def read_mixture_weights(path: Path) -> np.ndarray:
    """Read an 8-bit ``sendump`` (uncompressed, ``cluster_count 0``).

    Returns
    -------
    numpy.ndarray
        ``(streams, densities, senones)`` uint8: minus the log weight, in score units.

    Raises
    ------
    ValueError
        If the weights are 4-bit clustered or the file is truncated.
    """
    data = path.read_bytes()
    off = 0
    n_stream = 0
    while True:
        (n,) = _ints(data, off, 1, "<")
        off += 4
        if n == 0:
            break
        if not 0 < n < 1000:
            raise ValueError(f"{path}: not an uncompressed sendump")
        text = data[off : off + n].rstrip(b"\0").decode("ascii", "replace")
        if text.startswith("feature_count "):
            n_stream = int(text.split()[1])
        if text.startswith("cluster_count ") and int(text.split()[1]) != 0:
            raise ValueError(f"{path}: clustered mixture weights are not supported")
        off += n
    rows, cols = _ints(data, off, 2, "<")
    off += 8
    if n_stream <= 0 or rows <= 0 or cols <= 0 or off + n_stream * rows * cols > len(data):
        raise ValueError(f"{path} is truncated")
    return np.frombuffer(data, np.uint8, n_stream * rows * cols, off).reshape(n_stream, rows, cols)


@dataclass(frozen=True, eq=False)
class MixtureModel:
    """The Gaussians and mixture weights, arranged for block scoring.

    Parameters
    ----------
    projection
        ``(streams, 2 * dims + 1, codebooks * densities)`` float32: ``[x**2, x, 1]`` times this
        is every Gaussian's log density.
    weights
        Per stream, per codebook: ``(densities, senones of the codebook)`` float32 mixture
        weights (linear), senones in :attr:`senone_order`.
    senone_order
        Senones sorted by phone state (so by codebook too: a phone's states share its codebook).
    state_starts
        Where each phone state's run starts in :attr:`senone_order`, relative to its codebook's.
    ci_columns
        ``(codebooks, states)`` column of each state's context-independent senone within its
        codebook's block.
    """

    projection: np.ndarray
    weights: tuple[tuple[np.ndarray, ...], ...]
    senone_order: np.ndarray
    state_starts: tuple[np.ndarray, ...]
    ci_columns: np.ndarray

    @property
    def n_codebooks(self) -> int:
        """Codebooks (one per context-independent phone)."""
        return len(self.weights[0])

    @property
    def n_densities(self) -> int:
        """Gaussians per codebook and stream."""
        return int(self.weights[0][0].shape[0])


def _arrange(
    means: np.ndarray, variances: np.ndarray, mixw: np.ndarray, model: AcousticModel
) -> MixtureModel:
    n_cb, n_stream, n_density, dims = means.shape
    n_states = model.n_states
    if n_cb != len(model.phones) or mixw.shape != (n_stream, n_density, model.n_senones):
        raise ValueError("the Gaussians do not belong to this acoustic model")
    var = np.maximum(variances, _VARIANCE_FLOOR)
    inv = 1.0 / var
    const = -0.5 * np.sum(np.log(2 * np.pi * var) + means**2 * inv, axis=-1)
    projection = np.empty((n_stream, 2 * dims + 1, n_cb * n_density), dtype=np.float32)
    for f in range(n_stream):
        projection[f, :dims] = (-0.5 * inv[:, f]).reshape(-1, dims).T
        projection[f, dims : 2 * dims] = (means[:, f] * inv[:, f]).reshape(-1, dims).T
        projection[f, -1] = const[:, f].reshape(-1)
    order = np.argsort(model.senone_state, kind="stable")
    keys = model.senone_state[order]
    cb_bounds = np.searchsorted(keys, np.arange(n_cb + 1) * n_states)
    linear = np.exp(-mixw.astype(np.float64) * SCORE_UNIT_NATS).astype(np.float32)
    weights = tuple(
        tuple(
            np.ascontiguousarray(linear[f][:, order[cb_bounds[c] : cb_bounds[c + 1]]])
            for c in range(n_cb)
        )
        for f in range(n_stream)
    )
    starts = []
    ci_columns = np.empty((n_cb, n_states), dtype=np.int64)
    position = np.empty(model.n_senones, dtype=np.int64)
    position[order] = np.arange(model.n_senones)
    for c in range(n_cb):
        block = keys[cb_bounds[c] : cb_bounds[c + 1]]
        state_starts = np.searchsorted(block, c * n_states + np.arange(n_states))
        if len(block) == 0 or np.any(np.diff(np.r_[state_starts, len(block)]) <= 0):
            raise ValueError("every phone state should have at least one senone")
        starts.append(state_starts)
        ci_columns[c] = position[model.ci_senones[c]] - cb_bounds[c]
    return MixtureModel(projection, weights, order, tuple(starts), ci_columns)


@dataclass(frozen=True, eq=False)
class ModelGaussians:
    """The bundled model's parameters as stored.

    Parameters
    ----------
    means, variances
        ``(codebooks, streams, densities, dims)`` float64; variances floored as the decoder
        floors them.
    mixture_weights
        ``(streams, densities, senones)`` uint8: minus the log weight, in score units.
    """

    means: np.ndarray
    variances: np.ndarray
    mixture_weights: np.ndarray


@lru_cache(maxsize=1)
def model_gaussians() -> ModelGaussians:
    """The bundled model's Gaussians and mixture weights (read once, ~0.1 s)."""
    folder = model_dir()
    return ModelGaussians(
        read_gaussians(folder / "means"),
        np.maximum(read_gaussians(folder / "variances"), _VARIANCE_FLOOR),
        read_mixture_weights(folder / "sendump"),
    )


@lru_cache(maxsize=1)
def mixture_model() -> MixtureModel:
    """The bundled model's Gaussians and weights, arranged for block scoring."""
    g = model_gaussians()
    return _arrange(g.means, g.variances, g.mixture_weights, acoustic_model())


def features(cepstra: np.ndarray) -> np.ndarray:
    """The model's three feature streams: normalised cepstra, deltas and second deltas.

    Parameters
    ----------
    cepstra
        ``(frames, 13)`` from :func:`~generators.rig.cepstra.cepstra`.

    Returns
    -------
    numpy.ndarray
        ``(frames, 3, 13)`` float32; the utterance mean is taken off the cepstra (batch
        normalisation; as PocketSphinx's, it leaves out frames whose log energy ``c0`` is
        negative), and the edges repeat the first and last frame.

    Examples
    --------
    >>> x = features(np.arange(10, dtype=np.float32)[:, None].repeat(13, axis=1))
    >>> x.shape, float(x[5, 0, 0]), float(x[5, 1, 0]), float(x[5, 2, 0])
    ((10, 3, 13), 0.5, 4.0, 0.0)
    """
    c = np.asarray(cepstra, dtype=np.float64)
    voiced = c[c[:, 0] >= 0.0] if len(c) else c  # frames of no energy do not count
    c = c - voiced.mean(axis=0) if len(voiced) else c
    span = _DELTA_SPAN
    pad = np.pad(c, ((span + 1, span + 1), (0, 0)), mode="edge")
    n = len(c)

    def shifted(k: int) -> np.ndarray:
        return pad[span + 1 + k : span + 1 + k + n]

    delta = shifted(span) - shifted(-span)
    delta2 = (shifted(span + 1) - shifted(-span + 1)) - (shifted(span - 1) - shifted(-span - 1))
    return np.stack([c, delta, delta2], axis=1).astype(np.float32)


def _stream_densities(
    x: np.ndarray, projection: np.ndarray, n_cb: int, n_density: int
) -> tuple[np.ndarray, np.ndarray]:
    """One stream's top Gaussians, as linear weights relative to each codebook's best.

    Returns ``(codebooks, frames, densities)`` with zeros outside the top ones, and the
    ``(frames, codebooks)`` log density of each codebook's best (floored).
    """
    augmented = np.concatenate([x * x, x, np.ones((len(x), 1), np.float32)], axis=1)
    g = (augmented @ projection).reshape(len(x), n_cb, n_density)
    kth = np.partition(g, n_density - TOP_GAUSSIANS, axis=2)[:, :, n_density - TOP_GAUSSIANS]
    top1 = g.max(axis=2)
    floor = top1.max(axis=1) - MAX_DENSITY_UNITS * SCORE_UNIT_NATS
    best = np.maximum(top1, floor[:, None])
    flat = np.flatnonzero(g >= kth[:, :, None])  # the top Gaussians (more only on exact ties)
    frame, rest = np.divmod(flat, n_cb * n_density)
    codebook = rest // n_density
    values = np.maximum(g.ravel()[flat], floor[frame])
    dense = np.zeros((n_cb, len(x), n_density), dtype=np.float32)  # codebook-major for BLAS
    dense.reshape(-1)[codebook * (len(x) * n_density) + frame * n_density + rest % n_density] = (
        np.exp(values - best[frame, codebook])
    )
    return dense, best


def _block_scores(x: np.ndarray, mm: MixtureModel) -> np.ndarray:
    n_cb, n_density = mm.n_codebooks, mm.n_densities
    n_states = mm.ci_columns.shape[1]
    streams = [
        _stream_densities(x[:, f], mm.projection[f], n_cb, n_density)
        for f in range(len(mm.weights))
    ]
    ci = np.empty((len(x), n_cb, n_states))
    best = np.empty((len(x), n_cb, n_states))
    for c in range(n_cb):
        mixed = streams[0][0][c] @ mm.weights[0][c]
        for f in range(1, len(streams)):
            mixed *= streams[f][0][c] @ mm.weights[f][c]
        ci[:, c] = mixed[:, mm.ci_columns[c]]
        best[:, c] = np.maximum.reduceat(mixed, mm.state_starts[c], axis=1)
    offset = sum(s[1] for s in streams)[:, :, None]  # (frames, codebooks, 1)
    with np.errstate(divide="ignore"):
        log_ci = np.log(ci) + offset
        log_best = np.log(best) + offset
    top = log_best.max(axis=(1, 2), keepdims=True)
    return np.stack([top - log_ci, top - log_best], axis=1) / SCORE_UNIT_NATS


def state_scores(
    cepstra: np.ndarray, mm: MixtureModel | None = None, *, block: int = 512
) -> np.ndarray:
    """Every phone state's context-independent and best context-dependent senone score.

    Parameters
    ----------
    cepstra
        ``(frames, 13)`` from :func:`~generators.rig.cepstra.cepstra`.
    mm
        The Gaussians (default: the bundled model's).
    block
        Frames scored at a time (bounds the memory: ~60 MB at 512).

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, phones, states)`` float32 in score units (:data:`SCORE_UNIT_NATS`),
        0 for the frame's best senone and larger for worse; phones in the acoustic model's
        order. ``[:, 0]`` is each state's context-independent senone, ``[:, 1]`` the best of
        all its senones (any context, the context-independent one included).
    """
    mm = mm or mixture_model()
    x = features(cepstra)
    n_states = mm.ci_columns.shape[1]
    out = np.empty((len(x), 2, mm.n_codebooks, n_states), dtype=np.float32)
    with one_blas_thread():
        for start in range(0, len(x), block):
            out[start : start + block] = _block_scores(x[start : start + block], mm)
    return out
