"""Speaker adaptation of the acoustic model to one clip: a mean transform (MLLR) for the aligner.

The bundled model was trained on many voices; a given recording differs from their average in
its speaker, its microphone and its room. Forced aligners that place phones well on such audio
adapt the model to it first (the Montreal Forced Aligner, whose alignments the benchmark uses
as references, runs a speaker-adapted second pass). Here the adaptation is maximum-likelihood
linear regression of the Gaussian means, the transform PocketSphinx applies itself when
given one (``-mllr``):

1. a cheap word-level pass (:func:`~generators.rig.forced_alignment.word_path`, every
   third frame) places the words and the pauses between them, and :func:`path_states` splits
   each word among its phones' HMM states on the numpy senone scores the transcript check
   computes anyway. Speech the transcript leaves out stays with the pass's pauses and noise
   fillers instead of being forced onto the words, so a transcript missing words does not
   bend the model towards it (the check measures that speech);
2. :func:`mean_transform` finds, per feature stream, the affine map of every Gaussian mean
   ``mu -> A mu + b`` that makes those frames most likely (the closed form for diagonal
   covariances, one regression class), pulled towards no change by
   :data:`PRIOR_FRAMES` frames' worth of evidence so that a short line is not over-fitted;
3. the timing pass aligns the words on the adapted model (:func:`write_transform` writes the
   decoder's file).

On the benchmark's real speech this moves the phones' timing closer to the references on every
clip (viseme frame accuracy 0.740 -> 0.754, see ``docs/benchmarks.md``), and on eSpeak speech
with exact timings too (0.791 -> 0.810), for about 0.02-0.03 s of CPU per second of audio on
3 s lines (the word pass, the estimate and the adapted decoder's start).

Examples
--------
>>> import numpy as np
>>> from generators.rig.acoustic_model import acoustic_model
>>> from generators.rig.phone_posteriors import LOOP_PHONES
>>> scores = np.full((9, 2, len(LOOP_PHONES), acoustic_model().n_states), 50.0, "f4")
>>> scores[:, :, LOOP_PHONES.index("AA"), 1] = 0.0  # the vowel's middle state fits best
>>> path_states([(("HH", "AA"), 0, 9)], scores)[:2]
[('HH', 0, 0, 1), ('HH', 1, 1, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators.blas_threads import one_blas_thread
from generators.rig.acoustic_model import acoustic_model
from generators.rig.gaussian_scores import SCORE_UNIT_NATS, ModelGaussians, model_gaussians
from generators.rig.phone_posteriors import (
    LOOP_PHONES,
    PosteriorSettings,
    loop_transitions,
    mixed_scores,
)

__all__ = [
    "ITERATIONS",
    "MIN_FRAMES",
    "PRIOR_FRAMES",
    "MeanTransform",
    "mean_transform",
    "path_states",
    "write_transform",
]

PRIOR_FRAMES: float = 50.0
"""Frames' worth of evidence for "no change" added to a clip's own (half a second): a
transform estimated from a few words stays near the identity, a long line's is its own. On the
benchmark's real speech 0 to 50 frames give viseme frame accuracy 0.754-0.755 and 100 to 400
give 0.748 (one clip's alignment shifts); eSpeak speech 0.809-0.811 throughout."""

ITERATIONS: int = 1
"""Rounds of the estimate (see :func:`mean_transform`)."""

MIN_FRAMES: int = 50
"""Fewer aligned frames than this and no transform is estimated."""

_SPLIT_SETTINGS = PosteriorSettings(acoustic_scale=1.0, lm_weight=1.0)  # the check's mix

_NEGLIGIBLE_OCCUPANCY = 1e-3  # frames: a Gaussian this little used adds nothing to the sums


@dataclass(frozen=True)
class MeanTransform:
    """Per feature stream, the map of every Gaussian mean: ``mu -> A @ mu + b``.

    Parameters
    ----------
    matrices
        ``(streams, dims, dims + 1)``: ``[b | A]`` of each stream.
    frames
        Frames the transform was estimated from.
    """

    matrices: np.ndarray
    frames: int

    def apply(self, means: np.ndarray) -> np.ndarray:
        """The transformed ``(codebooks, streams, densities, dims)`` means."""
        b, a = self.matrices[:, :, 0], self.matrices[:, :, 1:]
        return np.einsum("sij,csdj->csdi", a, means) + b[None, :, None, :]


def path_states(
    words: Sequence[tuple[Sequence[str], int, int]], scores: np.ndarray
) -> list[tuple[str, int, int, int]]:
    """Each placed word's frames split among its phones' HMM states (left to right, best fit).

    Parameters
    ----------
    words
        ``(phones, start_frame, end_frame)`` of each word in order
        (:func:`~generators.rig.forced_alignment.word_path`); a word with no phones is a pause
        (silence's middle state over its frames).
    scores
        ``(frames, 2, len(LOOP_PHONES), n_states)`` loop state scores
        (:func:`~generators.rig.phone_recognition.loop_scores`); each state's emission mixes
        its context-independent and best context-dependent senones as the transcript check
        does, the model's HMM transitions join the states.

    Returns
    -------
    list of (phone, state, start_frame, n_frames)
        As :attr:`~generators.rig.forced_alignment.AlignmentResult.states`. A word shorter
        than its states has its frames spread over them evenly.
    """
    n_states = acoustic_model().n_states
    loop_index = {p: k for k, p in enumerate(LOOP_PHONES)}
    moves = loop_transitions(_SPLIT_SETTINGS)
    out: list[tuple[str, int, int, int]] = []
    for phones, start, end in words:
        end = min(end, len(scores))
        if end <= start:
            continue
        if not phones:
            out.append(("SIL", 1, start, end - start))
            continue
        chain = np.array([loop_index[p] for p in phones])
        emissions = -mixed_scores(scores[start:end, :, chain], _SPLIT_SETTINGS) * SCORE_UNIT_NATS
        path = _chain_path(emissions, moves.log_stay[chain], moves.log_advance[chain])
        cuts = np.flatnonzero(np.diff(path)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(path)], strict=True):
            k = int(path[a])
            out.append((phones[k // n_states], k % n_states, start + int(a), int(b - a)))
    return out


def _chain_path(emissions: np.ndarray, stay: np.ndarray, advance: np.ndarray) -> np.ndarray:
    """Viterbi through a left-to-right chain of phone HMMs, from its first state to its last
    (``emissions`` is ``(frames, phones, states)``)."""
    n, n_phones, n_states = emissions.shape
    total = n_phones * n_states
    if n < total:
        return np.minimum(np.arange(n) * total // n, total - 1)
    e = emissions.reshape(n, total)
    log_stay, log_advance = stay.reshape(total), advance.reshape(total)[:-1]
    delta = np.full(total, -np.inf)
    delta[0] = e[0, 0]
    moved = np.zeros((n, total), dtype=bool)
    for t in range(1, n):
        come = np.full(total, -np.inf)
        come[1:] = delta[:-1] + log_advance
        keep = delta + log_stay
        moved[t] = come > keep
        delta = np.where(moved[t], come, keep) + e[t]
    path = np.empty(n, dtype=np.int64)
    state = total - 1
    for t in range(n - 1, -1, -1):
        path[t] = state
        state -= int(moved[t, state])
    return path


def mean_transform(
    features: np.ndarray,
    states: Sequence[tuple[str, int, int, int]],
    *,
    prior_frames: float = PRIOR_FRAMES,
    iterations: int = ITERATIONS,
    gaussians: ModelGaussians | None = None,
) -> MeanTransform | None:
    """Estimate the clip's mean transform from frames assigned to phone states.

    Parameters
    ----------
    features
        ``(frames, streams, dims)`` (:func:`~generators.rig.gaussian_scores.features`).
    states
        ``(phone, state, start_frame, n_frames)``; phones the model does not know are left
        out.
    prior_frames
        Weight of the identity transform, in frames.
    iterations
        Rounds of expectation-maximisation: each assigns the frames to the Gaussians as the
        last round's transform moved them.
    gaussians
        The model (default: the bundled one).

    Returns
    -------
    MeanTransform or None
        ``None`` when fewer than :data:`MIN_FRAMES` frames are assigned or the statistics do
        not determine a transform.
    """
    g = gaussians or model_gaussians()
    model = acoustic_model()
    n_frames = len(features)
    codebook = np.full(n_frames, -1, dtype=np.int64)
    state = np.zeros(n_frames, dtype=np.int64)
    index = {p: k for k, p in enumerate(model.phones)}
    for phone, k, start, count in states:
        if phone in index and 0 <= k < model.n_states:
            codebook[start : start + count] = index[phone]
            state[start : start + count] = k
    used = codebook >= 0
    if int(used.sum()) < MIN_FRAMES:
        return None
    x = np.asarray(features, dtype=np.float64)[used]
    codebook, senone = codebook[used], model.ci_senones[codebook[used], state[used]]
    n_cb, n_streams, n_dens, dims = g.means.shape
    matrices = np.empty((n_streams, dims, dims + 1))
    adapted = g.means
    with one_blas_thread():
        for round_ in range(iterations):
            for f in range(n_streams):
                occupancy, first_order = _stream_statistics(
                    x[:, f], codebook, senone, adapted[:, f], g.variances[:, f],
                    g.mixture_weights[f],
                )
                solved = _solve(
                    g.means[:, f].reshape(-1, dims),
                    g.variances[:, f].reshape(-1, dims),
                    occupancy.reshape(-1),
                    first_order.reshape(-1, dims),
                    prior_frames,
                )
                if solved is None:
                    return None
                matrices[f] = solved
            if round_ + 1 < iterations:
                adapted = MeanTransform(matrices, len(x)).apply(g.means)
    return MeanTransform(matrices, len(x))


def _stream_statistics(
    x: np.ndarray,
    codebook: np.ndarray,
    senone: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
    mixture_weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each Gaussian's occupancy and occupancy-weighted feature sum in one stream (``means``
    and ``variances`` ``(codebooks, densities, dims)``: the Gaussians the frames are assigned
    to)."""
    n_cb, n_dens, dims = means.shape
    occupancy = np.zeros((n_cb, n_dens))
    first_order = np.zeros((n_cb, n_dens, dims))
    inverse = 1.0 / variances
    scaled = means * inverse
    constant = -0.5 * np.sum(means * scaled + np.log(variances), axis=2)  # (codebooks, dens)
    for c in np.unique(codebook):
        rows = codebook == c
        xc = x[rows]
        log_density = -0.5 * (xc * xc) @ inverse[c].T + xc @ scaled[c].T + constant[c]
        log_weight = -mixture_weights[:, senone[rows]].T * SCORE_UNIT_NATS
        post = log_density + log_weight
        post = np.exp(post - post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        occupancy[c] = post.sum(axis=0)
        first_order[c] = post.T @ xc
    return occupancy, first_order


def _solve(
    means: np.ndarray,
    variances: np.ndarray,
    occupancy: np.ndarray,
    first_order: np.ndarray,
    prior_frames: float,
) -> np.ndarray | None:
    """Row by row, the ``[b | A]`` that maximises the likelihood (diagonal covariances)."""
    seen = occupancy > _NEGLIGIBLE_OCCUPANCY
    means, variances = means[seen], variances[seen]
    occupancy, first_order = occupancy[seen], first_order[seen]
    n, dims = means.shape
    extended = np.hstack([np.ones((n, 1)), means])  # (gaussians, dims + 1)
    weight = occupancy[:, None] / variances  # (gaussians, dims)
    outer = (extended[:, :, None] * extended[:, None, :]).reshape(n, -1)
    grams = (weight.T @ outer).reshape(dims, dims + 1, dims + 1)
    targets = (first_order / variances).T @ extended  # (dims, dims + 1)
    prior = grams * (prior_frames / max(float(occupancy.sum()), 1.0))
    rows = np.arange(dims)
    rhs = targets + prior[rows, :, rows + 1]  # the prior times row i of [0 | I]
    try:
        out = np.linalg.solve(grams + prior, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return None
    return out if np.all(np.isfinite(out)) else None


def write_transform(transform: MeanTransform, path: Path) -> None:
    """Write ``transform`` as PocketSphinx reads an MLLR file (one class, variances kept).

    The text holds the number of classes and of streams, then per stream its width, the matrix
    ``A`` row by row, the bias ``b`` and the variance scales (all 1).
    """
    streams, dims, _ = transform.matrices.shape
    lines = ["1", str(streams)]
    for f in range(streams):
        b, a = transform.matrices[f, :, 0], transform.matrices[f, :, 1:]
        lines.append(str(dims))
        lines += [" ".join(f"{v:.8g}" for v in row) for row in a]
        lines.append(" ".join(f"{v:.8g}" for v in b))
        lines.append(" ".join("1" for _ in range(dims)))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
