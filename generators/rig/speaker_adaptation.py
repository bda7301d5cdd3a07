"""Speaker adaptation of the acoustic model to one clip: a mean transform (MLLR) for the aligner.

The bundled model was trained on many voices; a given recording differs from their average in
its speaker, its microphone and its room. Forced aligners that place phones well on such audio
adapt the model to it first (the Montreal Forced Aligner, whose alignments the benchmark uses
as references, runs a speaker-adapted second pass). Here the adaptation is maximum-likelihood
linear regression of the Gaussian means, the transform PocketSphinx applies itself when
given one (``-mllr``):

1. :func:`transcript_states` places the transcript's phones on the numpy senone scores the
   transcript check computes anyway (a Viterbi through the words' HMM states, a pause allowed
   between words), at no cost worth counting;
2. :func:`mean_transform` finds, per feature stream, the affine map of every Gaussian mean
   ``mu -> A mu + b`` that makes those frames most likely (the closed form for diagonal
   covariances, one regression class), pulled towards no change by
   :data:`PRIOR_FRAMES` frames' worth of evidence so that a short line is not over-fitted;
3. the timing pass aligns the words on the adapted model (:func:`write_transform` writes the
   decoder's file).

On the benchmark's real speech this moves the phones' timing closer to the references on every
clip (viseme frame accuracy 0.740 -> 0.754, see ``docs/benchmarks.md``), and on eSpeak speech
with exact timings too (0.791 -> 0.81), for about 0.005 s of CPU per second of audio more (the
cheap word pass, the estimate and the adapted decoder's start, against the timing pass's first
pass on the unadapted model that it replaces).

Examples
--------
>>> import numpy as np
>>> from generators.rig.acoustic_model import acoustic_model
>>> from generators.rig.phone_posteriors import LOOP_PHONES
>>> scores = np.full((12, 2, len(LOOP_PHONES), acoustic_model().n_states), 50.0, "f4")
>>> scores[:3, :, LOOP_PHONES.index("SIL")] = 0.0  # a pause, then "ah"
>>> scores[3:, :, LOOP_PHONES.index("AA")] = 0.0
>>> [(p, k, start, n) for p, k, start, n in transcript_states([("AA",)], scores)]
[('SIL', 0, 0, 1), ('SIL', 1, 1, 1), ('SIL', 2, 2, 1), ('AA', 0, 3, 1), ('AA', 1, 4, 7), \
('AA', 2, 11, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators.rig.acoustic_model import acoustic_model
from generators.rig.gaussian_scores import (
    SCORE_UNIT_NATS,
    ModelGaussians,
    model_gaussians,
    one_blas_thread,
)
from generators.rig.phone_posteriors import LOOP_PHONES

__all__ = [
    "ITERATIONS",
    "MIN_FRAMES",
    "PRIOR_FRAMES",
    "MeanTransform",
    "mean_transform",
    "transcript_states",
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


def transcript_states(
    pronunciations: Sequence[Sequence[str]], scores: np.ndarray
) -> list[tuple[str, int, int, int]]:
    """The transcript's phones placed on the scores: the best path through the words' states.

    Parameters
    ----------
    pronunciations
        Each word's phones, in order (at least one word).
    scores
        ``(frames, 2, len(LOOP_PHONES), n_states)`` loop state scores
        (:func:`~generators.rig.phone_recognition.loop_scores`); each state's best
        context-dependent senone is its emission, the model's HMM transitions join the states.

    Returns
    -------
    list of (phone, state, start_frame, n_frames)
        As :attr:`~generators.rig.forced_alignment.AlignmentResult.states`, covering every
        frame; a pause (``"SIL"``) may stand before, between and after the words, neither
        favoured nor penalised. Empty when the clip has too few frames for the phones.
    """
    model = acoustic_model()
    n_states = model.n_states
    loop_index = {p: k for k, p in enumerate(LOOP_PHONES)}
    silence = loop_index["SIL"]
    chain, pause_after = [silence], [True]  # phone, and whether it is an optional pause
    for phones in pronunciations:
        for p in phones:
            chain.append(loop_index[p])
            pause_after.append(False)
        chain.append(silence)
        pause_after.append(True)
    rows = np.array([model.phones.index(LOOP_PHONES[k]) for k in chain])
    emissions = -scores[:, 1, chain].astype(np.float64) * SCORE_UNIT_NATS  # (frames, phones, st)
    path = _transcript_path(
        emissions, model.log_stay[rows], model.log_advance[rows], np.array(pause_after)
    )
    states: list[tuple[str, int, int, int]] = []
    if path is None:
        return states
    cuts = np.flatnonzero(np.diff(path)) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(path)], strict=True):
        k = int(path[a])
        states.append((LOOP_PHONES[chain[k // n_states]], k % n_states, int(a), int(b - a)))
    return states


def _transcript_path(
    emissions: np.ndarray, stay: np.ndarray, advance: np.ndarray, is_pause: np.ndarray
) -> np.ndarray | None:
    """Viterbi through a left-to-right chain of phone HMMs whose pauses may be skipped.

    ``emissions`` is ``(frames, phones, states)``; the chain starts in its first phone's first
    state or, skipping a leading pause, the next phone's, and ends in its last phone's last
    state or, skipping a trailing pause, the phone's before.
    """
    n, n_phones, n_states = emissions.shape
    total = n_phones * n_states
    e = emissions.reshape(n, total)
    log_stay, log_advance = stay.reshape(total), advance.reshape(total)
    # a skip enters phone k's first state from phone k - 2's last when phone k - 1 is a pause
    into = np.array([k * n_states for k in range(2, n_phones) if is_pause[k - 1]], dtype=int)
    origin = into - n_states - 1
    delta = np.full(total, -np.inf)
    delta[0] = e[0, 0]
    if is_pause[0] and n_phones > 1:
        delta[n_states] = e[0, n_states]
    step = np.zeros((n, total), dtype=np.int8)  # 0 stay, 1 advance, 2 skip a pause
    for t in range(1, n):
        best = delta + log_stay
        come = np.full(total, -np.inf)
        come[1:] = delta[:-1] + log_advance[:-1]
        moved = come > best
        best = np.where(moved, come, best)
        skip = delta[origin] + log_advance[origin]
        jumped = skip > best[into]
        best[into] = np.where(jumped, skip, best[into])
        step[t] = moved
        step[t, into[jumped]] = 2
        delta = best + e[t]
    last = total - 1
    if is_pause[-1] and n_phones > 1 and delta[last - n_states] > delta[last]:
        last -= n_states
    if not np.isfinite(delta[last]):
        return None  # fewer frames than states
    path = np.empty(n, dtype=np.int64)
    state = last
    back = {0: 0, 1: 1, 2: n_states + 1}
    for t in range(n - 1, -1, -1):
        path[t] = state
        state -= back[int(step[t, state])]
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
