"""Phone posteriors from senone scores, and the viseme timeline that is most probably right.

A phone loop (every English phone, silence and the model's two noise fillers, each a 3-state HMM
with the acoustic model's transitions, joined by the bundled phone language model's bigram
probabilities) is run
forward-backward over two scores per phone state and frame (its context-independent senone and
its best context-dependent one: :func:`~generators.rig.gaussian_scores.state_scores` from the
model's Gaussians, or :func:`phone_state_scores` from a PocketSphinx senone log). That
gives, for every 10 ms frame, the posterior probability of each phone. Summing it per viseme and
taking the most probable viseme frame by frame maximises the expected viseme frame accuracy,
which a single best phone path (Viterbi) does not: many phones share a mouth shape, and the
recogniser's doubt between /t/ and /d/ or /ae/ and /ah/ costs nothing when they look alike.

The emission of a phone state is a mix of its context-independent senone and the best of its
context-dependent (triphone) senones, scaled down (posteriors of a model this sure of itself are
too sharp to combine with the transitions and the language model). Noise is a pause for the
mouth; it is in the loop so that a voice the English phones cannot explain (a hum, a buzz) is
left as noise, as the best path leaves it (:mod:`generators.rig.language_check` relies on that).

Viseme frame accuracy on the sets of bench/bench_phone_recognition.py (real speech / eSpeak
speech): the single best path through this loop on the same scores 0.44 / 0.47, posterior
decoding of it 0.47 / 0.48, with the acoustics scaled to 0.15, the bigram weighted 2 and the
triphone share 0.3 0.52 / 0.51; noise in the loop costs 0.02 on real speech (breathy or mumbled
stretches read as noise), which counting spoken noise as speech rather than a pause wins back.

The timeline is for lips, where errors are not equal: a p/b/m the mouth does not close on reads
as broken, a brief closure on a neighbouring consonant is barely seen. So a p/b/m wins a frame at
a quarter of the posterior another viseme needs (:attr:`PosteriorSettings.closure_weight`).
On the same sets, weights 1 / 2 / 3 / 4 / 5: true p/b/m with a recognised p/b/m within 20 ms
44 / 71 / 88 / 90 / 95 % (real) and 54 / 68 / 77 / 80 / 83 % (eSpeak); viseme frame accuracy
0.514 / 0.509 / 0.504 / 0.495 / 0.486 and 0.507 / 0.510 / 0.510 / 0.508 / 0.507. Most of the
extra closures fall in pauses or on other consonants (n, k, d, t, f, v, th); on real speech
four in five recognised closures are away from a true p/b/m, against seven in ten at weight 1.

Examples
--------
>>> import numpy as np
>>> post = np.zeros((6, len(LOOP_PHONES)))
>>> post[:2, LOOP_PHONES.index("SIL")] = 1
>>> post[2:4, LOOP_PHONES.index("M")] = 0.6
>>> post[2:4, LOOP_PHONES.index("N")] = 0.4
>>> post[4:, LOOP_PHONES.index("AE")] = 0.3
>>> post[4:, LOOP_PHONES.index("AH")] = 0.3
>>> post[4:, LOOP_PHONES.index("IH")] = 0.4
>>> [(p.phone, p.start, p.end) for p in viseme_segments(post)]
[('SIL', 0.0, 0.02), ('M', 0.02, 0.04), ('AE', 0.04, 0.06)]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from generators.rig.acoustic_model import AcousticModel, acoustic_model
from generators.rig.gaussian_scores import SCORE_UNIT_NATS
from generators.rig.pronunciation import ARPABET
from generators.rig.sphinx import FRAME_RATE
from generators.rig.visemes import PHONE_VISEMES, VISEMES
from generators.take import PhonemeSegment

__all__ = [
    "LOOP_PHONES",
    "NOISE_PHONES",
    "SPEECH_PHONES",
    "LoopTransitions",
    "PosteriorSettings",
    "loop_state_scores",
    "loop_transitions",
    "mixed_scores",
    "pause_frames",
    "phone_bigram",
    "phone_posteriors",
    "phone_state_scores",
    "state_emissions",
    "viseme_segments",
]

SPEECH_PHONES: tuple[str, ...] = (*sorted(ARPABET), "SIL")
"""Phones the phone language model knows: the 39 ARPAbet phones and silence."""

NOISE_PHONES: tuple[str, ...] = ("+NSN+", "+SPN+")
"""The acoustic model's noise fillers (noise, "spoken noise"): pauses for the mouth, except that
:func:`viseme_segments` shows the likeliest speech viseme over spoken noise."""

LOOP_PHONES: tuple[str, ...] = SPEECH_PHONES + NOISE_PHONES
"""Phones of the loop (the order of the posterior columns)."""


@dataclass(frozen=True)
class PosteriorSettings:
    """Weights of the phone-loop posterior decoder.

    Parameters
    ----------
    acoustic_scale
        Multiplier of the acoustic log-likelihoods (below 1 flattens the posteriors).
    context_mix
        Weight of the best context-dependent senone in a state's emission (the rest is the
        context-independent senone).
    lm_weight
        Weight of the phone bigram, relative to the acoustic scale.
    noise_penalty
        Log-probability added to entering a noise filler (transitions as into silence).
    closure_weight
        Weight of the p/b/m viseme against the others when the timeline picks a frame's viseme
        (:func:`viseme_segments`): a missed lip closure is a glaring error while a closure
        during another consonant is barely seen, so a p/b/m wins at a fraction of the
        posterior the other visemes need.
    """

    acoustic_scale: float = 0.15
    context_mix: float = 0.3
    lm_weight: float = 2.0
    noise_penalty: float = -6.0
    closure_weight: float = 4.0


def _phone_index(model: AcousticModel) -> np.ndarray:
    return np.array([model.phones.index(p) for p in LOOP_PHONES], dtype=np.int64)


@lru_cache(maxsize=1)
def _senone_groups(model: AcousticModel) -> tuple[np.ndarray, np.ndarray]:
    """Senones sorted by the CI phone state they model, and where each state's run starts."""
    order = np.argsort(model.senone_state, kind="stable")
    keys = model.senone_state[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    if not np.array_equal(keys[starts], np.arange(len(model.phones) * model.n_states)):
        raise ValueError("every phone state should have at least one senone")
    return order, starts


def phone_state_scores(scores: np.ndarray, model: AcousticModel | None = None) -> np.ndarray:
    """What the decoder needs of a block of senone scores: two scores per loop phone state.

    Parameters
    ----------
    scores
        ``(frames, n_senones)`` senone scores (0 best, larger worse) from
        :class:`~generators.rig.senone_scores.SenoneLogDecoder`.
    model
        The acoustic model (default: the bundled one).

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, len(LOOP_PHONES), n_states)`` float32: the context-independent senone's
        score and the best score of the state's context-dependent senones (any context).
    """
    model = model or acoustic_model()
    order, starts = _senone_groups(model)
    idx = _phone_index(model)
    shape = (len(scores), len(model.phones), model.n_states)
    ci = scores[:, model.ci_senones.ravel()].reshape(shape)[:, idx]
    best_cd = np.minimum.reduceat(scores[:, order], starts, axis=1).reshape(shape)[:, idx]
    return np.stack([ci, best_cd], axis=1).astype(np.float32)


def state_emissions(state_scores: np.ndarray, settings: PosteriorSettings) -> np.ndarray:
    """Scaled log emission of every loop phone state in every frame.

    Parameters
    ----------
    state_scores
        ``(frames, 2, len(LOOP_PHONES), n_states)`` from :func:`phone_state_scores`.
    settings
        Acoustic scale and context mix.

    Returns
    -------
    numpy.ndarray
        ``(frames, len(LOOP_PHONES), n_states)`` natural-log emissions (up to a per-frame
        constant).
    """
    return -mixed_scores(state_scores, settings) * (SCORE_UNIT_NATS * settings.acoustic_scale)


def mixed_scores(state_scores: np.ndarray, settings: PosteriorSettings) -> np.ndarray:
    """Each loop phone state's score, its context-independent and best context-dependent
    senones mixed by :attr:`PosteriorSettings.context_mix`.

    Returns
    -------
    numpy.ndarray
        ``(frames, len(LOOP_PHONES), n_states)`` float64 in score units (0 best).
    """
    mix = settings.context_mix
    return (1.0 - mix) * state_scores[:, 0].astype(np.float64) + mix * state_scores[:, 1]


@lru_cache(maxsize=1)
def phone_bigram() -> tuple[np.ndarray, np.ndarray]:
    """Natural-log phone bigram and unigram of the bundled phone language model.

    Returns
    -------
    tuple of numpy.ndarray
        ``(len(SPEECH_PHONES), len(SPEECH_PHONES))`` log P(next | previous) (rows: previous)
        and ``(len(SPEECH_PHONES),)`` log P(phone) for the first frame.
    """
    import pocketsphinx

    lm = pocketsphinx.NGramModel(
        pocketsphinx.Config(),
        pocketsphinx.LogMath(),
        pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin"),
    )
    to_nat = float(np.log(1.0001))
    n = len(SPEECH_PHONES)
    bigram = np.empty((n, n))
    for i, prev in enumerate(SPEECH_PHONES):
        for j, nxt in enumerate(SPEECH_PHONES):
            bigram[i, j] = lm.prob([nxt, prev]) * to_nat  # words[0] given the rest
    unigram = np.array([lm.prob([p]) * to_nat for p in SPEECH_PHONES])
    return bigram, unigram


def _loop_lm(noise_penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """The bigram and unigram over :data:`LOOP_PHONES`: noise is entered and left like silence."""
    bigram, unigram = phone_bigram()
    n, sil = len(SPEECH_PHONES), SPEECH_PHONES.index("SIL")
    like = np.r_[np.arange(n), [sil] * len(NOISE_PHONES)]  # the LM phone each loop phone copies
    full = bigram[np.ix_(like, like)].copy()
    full[:, n:] += noise_penalty
    return full, unigram[like] + np.r_[np.zeros(n), [noise_penalty] * len(NOISE_PHONES)]


@dataclass(frozen=True)
class LoopTransitions:
    """The phone loop's moves in natural logs, language model weighted (see
    :func:`loop_transitions`).

    Parameters
    ----------
    log_stay, log_advance
        ``(len(LOOP_PHONES), n_states)``: each state to itself, and to the next state (from
        the last: leaving the phone).
    log_bigram
        ``(len(LOOP_PHONES), len(LOOP_PHONES))`` entering a phone after another (rows:
        previous), weighted.
    log_start
        ``(len(LOOP_PHONES),)`` the first phone, weighted.
    """

    log_stay: np.ndarray
    log_advance: np.ndarray
    log_bigram: np.ndarray
    log_start: np.ndarray


def loop_transitions(
    settings: PosteriorSettings, model: AcousticModel | None = None
) -> LoopTransitions:
    """The loop's HMM transitions and its weighted phone bigram, for the loop's decoders."""
    model = model or acoustic_model()
    idx = _phone_index(model)
    bigram, unigram = _loop_lm(settings.noise_penalty)
    weight = settings.lm_weight * settings.acoustic_scale
    return LoopTransitions(
        model.log_stay[idx], model.log_advance[idx], weight * bigram, weight * unigram
    )


def loop_state_scores(scores: np.ndarray, model: AcousticModel | None = None) -> np.ndarray:
    """Keep the loop's phones of ``(frames, 2, model phones, n_states)`` state scores.

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, len(LOOP_PHONES), n_states)``, as :func:`phone_state_scores` gives.
    """
    return scores[:, :, _phone_index(model or acoustic_model())]


def phone_posteriors(
    state_scores: np.ndarray,
    settings: PosteriorSettings | None = None,
    model: AcousticModel | None = None,
) -> np.ndarray:
    """Posterior probability of every loop phone in every frame (forward-backward).

    Parameters
    ----------
    state_scores
        ``(frames, 2, len(LOOP_PHONES), n_states)`` from :func:`phone_state_scores`.
    settings
        Decoder weights (default :class:`PosteriorSettings`).
    model
        The acoustic model (default: the bundled one).

    Returns
    -------
    numpy.ndarray
        ``(frames, len(LOOP_PHONES))``, rows summing to 1 (an empty array for no frames).
    """
    settings = settings or PosteriorSettings()
    model = model or acoustic_model()
    n_frames = len(state_scores)
    n = len(LOOP_PHONES)
    if n_frames == 0:
        return np.zeros((0, n))
    emis = state_emissions(state_scores, settings)
    x = np.exp(emis - emis.max(axis=(1, 2), keepdims=True))  # scaled per frame
    loop = loop_transitions(settings, model)
    stay, advance = np.exp(loop.log_stay), np.exp(loop.log_advance)
    trans = np.exp(loop.log_bigram - loop.log_bigram.max())  # (previous, next)
    leave = advance[:, -1]

    alpha = np.empty((n_frames, n, model.n_states))
    a = np.zeros((n, model.n_states))
    a[:, 0] = np.exp(loop.log_start - loop.log_start.max()) * x[0, :, 0]
    a /= a.sum()
    alpha[0] = a
    for t in range(1, n_frames):
        entry = (a[:, -1] * leave) @ trans
        nxt = a * stay
        nxt[:, 0] += entry
        nxt[:, 1:] += a[:, :-1] * advance[:, :-1]
        nxt *= x[t]
        a = nxt / nxt.sum()
        alpha[t] = a

    post = np.empty((n_frames, n))
    b = np.zeros((n, model.n_states))
    b[:, -1] = 1.0  # the clip ends at the end of a phone
    g = alpha[-1] * b
    post[-1] = g.sum(axis=1) / g.sum()
    for t in range(n_frames - 2, -1, -1):
        eb = x[t + 1] * b
        prev = stay * eb
        prev[:, :-1] += advance[:, :-1] * eb[:, 1:]
        prev[:, -1] += leave * (trans @ eb[:, 0])
        b = prev / prev.sum()
        g = alpha[t] * b
        post[t] = g.sum(axis=1) / g.sum()
    return post


def _label(phone: str) -> str:
    return "SIL" if phone in NOISE_PHONES else phone


def _viseme_of_phones() -> np.ndarray:
    return np.array([VISEMES.index(PHONE_VISEMES[_label(p)][0]) for p in LOOP_PHONES])


def _viseme_sums(posteriors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior summed per viseme ``(frames, len(VISEMES))``, and each loop phone's viseme."""
    of = _viseme_of_phones()
    per_viseme = np.zeros((len(posteriors), len(VISEMES)))
    np.add.at(per_viseme.T, of, posteriors.T)
    return per_viseme, of


def pause_frames(posteriors: np.ndarray) -> np.ndarray:
    """Frames the phone loop most probably explains as silence or noise (spoken noise included).

    Parameters
    ----------
    posteriors
        ``(frames, len(LOOP_PHONES))`` from :func:`phone_posteriors`.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` bool. How much of a voice is *not* in a pause tells whether the English
        phones can follow it (:mod:`generators.rig.language_check`): a hum or a buzz is
        mostly noise to them.
    """
    per_viseme, _ = _viseme_sums(posteriors)
    return per_viseme.argmax(axis=1) == VISEMES.index("sil")


def viseme_segments(
    posteriors: np.ndarray, n_frames: int | None = None, *, closure_weight: float = 1.0
) -> list[PhonemeSegment]:
    """The frame-wise most probable visemes, as phone segments.

    Spoken noise (``+SPN+``: speech the phones do not explain, often breathy or mumbled) does
    not count as a pause: its frames take the most probable speech viseme unless silence or
    plain noise is more probable still.

    Parameters
    ----------
    posteriors
        ``(frames, len(LOOP_PHONES))`` from :func:`phone_posteriors`.
    n_frames
        Frames the result must cover (the last segment is stretched); default: all rows.
    closure_weight
        Factor on the p/b/m viseme's posterior before the comparison (1: the most probable
        viseme; see :attr:`PosteriorSettings.closure_weight`). A frame whose most probable
        viseme is a pause stays a pause (the lips rest shut there anyway).

    Returns
    -------
    list of PhonemeSegment
        Contiguous segments from 0; each frame's viseme is the one with the largest summed
        (and weighted) posterior (a diphthong counts toward its first viseme), and a run of
        frames with the same viseme is labelled with that viseme's phone of largest posterior
        mass over the run.
    """
    total = len(posteriors) if n_frames is None else max(n_frames, len(posteriors))
    if len(posteriors) == 0:
        return [PhonemeSegment("SIL", 0.0, total / FRAME_RATE)] if total else []
    per_viseme, of = _viseme_sums(posteriors)
    spoken_noise = LOOP_PHONES.index("+SPN+")
    per_viseme[:, of[spoken_noise]] -= posteriors[:, spoken_noise]
    best = per_viseme.argmax(axis=1)
    if closure_weight != 1.0:
        pause, closure = VISEMES.index("sil"), VISEMES.index("PP")
        per_viseme[:, closure] *= closure_weight
        best = np.where(best == pause, pause, per_viseme.argmax(axis=1))
    cuts = np.flatnonzero(np.diff(best)) + 1
    bounds = [0, *cuts.tolist(), len(best)]
    out: list[PhonemeSegment] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        members = np.flatnonzero(of == best[a])
        phone = _label(LOOP_PHONES[members[posteriors[a:b, members].sum(axis=0).argmax()]])
        end = total if b == len(best) else b
        out.append(PhonemeSegment(phone, a / FRAME_RATE, end / FRAME_RATE))
    return out
