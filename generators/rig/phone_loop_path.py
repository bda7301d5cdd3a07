"""The phone loop's single best path (Viterbi) and how well its phones fit the sound.

:mod:`generators.rig.phone_posteriors` reads the loop frame by frame for the lip timeline;
the language check (:mod:`generators.rig.language_check`) needs instead one phone sequence and
its acoustic score: a voice the English phones cannot follow is explained by noise, or by
phones that fit poorly. The path runs through the same loop (same emissions, transitions and
phone bigram) and its score is reported unscaled, in senone score units per frame (0: every
frame on its best senone).

Examples
--------
>>> import numpy as np
>>> from generators.rig.acoustic_model import acoustic_model
>>> from generators.rig.phone_posteriors import LOOP_PHONES
>>> n, states = len(LOOP_PHONES), acoustic_model().n_states
>>> scores = np.full((30, 2, n, states), 80.0, dtype=np.float32)
>>> scores[:, :, LOOP_PHONES.index("AA")] = 10.0  # /aa/ fits every frame best
>>> path = best_path(scores)
>>> [(LOOP_PHONES[p], start, count, round(score)) for p, start, count, score in path]
[('AA', 0, 30, -300)]
"""

from __future__ import annotations

import numpy as np

from generators.rig.acoustic_model import AcousticModel, acoustic_model
from generators.rig.phone_posteriors import (
    PosteriorSettings,
    loop_transitions,
    mixed_scores,
    state_emissions,
)

__all__ = ["best_path"]


def best_path(
    state_scores: np.ndarray,
    settings: PosteriorSettings | None = None,
    model: AcousticModel | None = None,
) -> list[tuple[int, int, int, float]]:
    """The most probable phone sequence through the loop, with each phone's acoustic score.

    Parameters
    ----------
    state_scores
        ``(frames, 2, len(LOOP_PHONES), n_states)`` senone scores per loop phone state (see
        :func:`~generators.rig.phone_posteriors.phone_state_scores`).
    settings
        The loop's weights (as for the posteriors).
    model
        The acoustic model (default: the bundled one).

    Returns
    -------
    list of (phone, start_frame, n_frames, score)
        Consecutive segments covering every frame; ``phone`` indexes :data:`LOOP_PHONES`;
        ``score`` is minus the sum of the path's senone scores over the segment (score
        units: 0 is a perfect fit, more negative is worse).
    """
    settings = settings or PosteriorSettings()
    model = model or acoustic_model()
    n_frames = len(state_scores)
    if n_frames == 0:
        return []
    emis = state_emissions(state_scores, settings)
    loop = loop_transitions(settings, model)
    n, n_states = loop.log_stay.shape
    leave = loop.log_advance[:, -1]

    came_in = np.zeros((n_frames, n), dtype=np.int64)  # previous phone when entering state 0
    advanced = np.zeros((n_frames, n, n_states), dtype=bool)
    delta = np.full((n, n_states), -np.inf)
    delta[:, 0] = loop.log_start + emis[0, :, 0]
    for t in range(1, n_frames):
        exits = (delta[:, -1] + leave)[:, None] + loop.log_bigram  # (previous, next)
        came_in[t] = exits.argmax(axis=0)
        entry = exits[came_in[t], np.arange(n)]
        stay = delta + loop.log_stay
        move = np.full_like(delta, -np.inf)
        move[:, 0] = entry
        move[:, 1:] = delta[:, :-1] + loop.log_advance[:, :-1]
        advanced[t] = move > stay
        delta = np.maximum(stay, move) + emis[t]

    ended = bool(np.isfinite(delta[:, -1]).any())  # some phone has reached its last state
    phone = int(np.argmax(delta[:, -1] if ended else delta.max(axis=1)))
    state = n_states - 1 if ended else int(np.argmax(delta[phone]))
    phones = np.empty(n_frames, dtype=np.int64)
    states = np.empty(n_frames, dtype=np.int64)
    for t in range(n_frames - 1, -1, -1):
        phones[t], states[t] = phone, state
        if t == 0:
            break
        if advanced[t, phone, state]:
            if state == 0:
                phone, state = int(came_in[t, phone]), n_states - 1
            else:
                state -= 1

    per_frame = mixed_scores(state_scores, settings)[np.arange(n_frames), phones, states]
    entered = np.flatnonzero((states[1:] == 0) & (states[:-1] == n_states - 1)) + 1
    bounds = [0, *entered.tolist(), n_frames]
    return [
        (int(phones[a]), a, b - a, -float(per_frame[a:b].sum()))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
