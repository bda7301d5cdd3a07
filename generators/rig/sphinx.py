"""PocketSphinx plumbing: decoder construction, caching and audio conversion.

Creating a decoder loads the acoustic model and the 135k-word dictionary (~0.1-0.2 s), so
decoders are built once per configuration and reused; a lock per decoder keeps concurrent
generations (GUI thread + batch worker) from interleaving utterances. Everything runs offline
from the model shipped inside the ``pocketsphinx`` wheel.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators.audio import AudioClip
from generators.rig.quiet_stretches import silence_quiet_stretches

__all__ = [
    "DITHER_SEED",
    "FRAME_RATE",
    "SAMPLE_RATE",
    "DecoderConfig",
    "adapted_decoder",
    "decoder",
    "log_to_nat",
    "pcm16",
]

SAMPLE_RATE: int = 16000
"""Sample rate the bundled en-US acoustic model expects."""

FRAME_RATE: int = 100
"""PocketSphinx analysis frames per second (10 ms hop)."""


@dataclass(frozen=True)
class DecoderConfig:
    """The decoder options this project varies (everything else is PocketSphinx's default).

    Parameters
    ----------
    mode
        ``"align"`` (forced alignment, no language model) or ``"phones"`` (phone loop with the
        bundled phone language model).
    compallsen
        Compute every senone each frame. Slower, but makes path scores comparable between the
        aligner and the phone recogniser (each is normalised by the same per-frame best), which
        the transcript check needs.
    beam, pbeam, wbeam
        Search beams (wider than PocketSphinx's defaults for alignment, so disfluent speech and
        long pauses do not fall out of the beam).
    ds
        Frame downsampling ratio for the Gaussian computation.
    topn
        Gaussians kept per codebook.
    lw
        Language weight (phone mode).
    """

    mode: str = "align"
    compallsen: bool = False
    beam: float = 1e-120
    pbeam: float = 1e-120
    wbeam: float = 1e-80
    ds: int = 1
    topn: int = 4
    lw: float = 6.5

    def options(self) -> dict[str, object]:
        """Keyword arguments for :class:`pocketsphinx.Decoder`."""
        import pocketsphinx

        opts: dict[str, object] = {
            "loglevel": "FATAL",
            "bestpath": False,
            "compallsen": self.compallsen,
            "beam": self.beam,
            "pbeam": self.pbeam,
            "wbeam": self.wbeam,
            "ds": self.ds,
            "topn": self.topn,
            "lw": self.lw,
        }
        if self.mode == "phones":
            opts["allphone"] = pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin")
        elif self.mode == "align":
            opts["lm"] = None
        else:
            raise ValueError(f"unknown decoder mode {self.mode!r}")
        return opts


_lock = threading.Lock()
_decoders: dict[DecoderConfig, tuple[object, threading.Lock]] = {}


@contextmanager
def decoder(config: DecoderConfig) -> Iterator[object]:
    """Borrow the shared decoder for ``config`` (built on first use), exclusively.

    The front end is reset first: its noise removal carries an estimate over from one
    utterance to the next, which would make a clip's phones depend on what the shared decoder
    heard before.

    Examples
    --------
    >>> with decoder(DecoderConfig("align")) as d:
    ...     d.lookup_word("hello")
    'HH AH L OW'
    """
    with _lock:
        entry = _decoders.get(config)
        if entry is None:
            import pocketsphinx

            entry = (pocketsphinx.Decoder(**config.options()), threading.Lock())
            _decoders[config] = entry
    dec, dec_lock = entry
    with dec_lock:
        dec.reinit_feat()  # type: ignore[attr-defined]  # forget the last clip's noise estimate
        yield dec


def adapted_decoder(config: DecoderConfig, transform: Path, dictionary: Path) -> object:
    """A decoder of its own, for one clip: the model adapted by an MLLR ``transform`` file.

    Parameters
    ----------
    config
        Decoder settings.
    transform
        PocketSphinx MLLR file (see :func:`~generators.rig.speaker_adaptation.write_transform`).
    dictionary
        A pronunciation dictionary holding the clip's words only: reading the full one takes
        about 0.2 s, a few lines about 0.02 s (the model's own files are small).

    Returns
    -------
    pocketsphinx.Decoder
    """
    import pocketsphinx

    return pocketsphinx.Decoder(**config.options(), mllr=str(transform), dict=str(dictionary))


DITHER_SEED: int = 16000
"""Seed of the dither noise, fixed so the same audio always gives the same phones."""


def pcm16(clip: AudioClip) -> bytes:
    """The clip as 16 kHz mono 16-bit little-endian PCM bytes (what PocketSphinx reads).

    Triangular dither of one least significant bit is added before rounding: stretches of
    digital silence (exact zeros, as synthesised or gated audio has) otherwise drive the
    decoder's log filterbank energies to minus infinity and whole utterances fail to align.
    The noise is seeded, so the result is deterministic.
    Before that, stretches of a second or more below -78 dBFS are made digitally silent
    (:mod:`generators.rig.quiet_stretches`).
    """
    mono = silence_quiet_stretches(clip.resampled(SAMPLE_RATE).samples, SAMPLE_RATE)
    rng = np.random.default_rng(DITHER_SEED)
    noise = rng.random(mono.size, dtype=np.float32) - rng.random(mono.size, dtype=np.float32)
    pcm = np.clip(np.rint(np.clip(mono, -1.0, 1.0) * 32767.0 + noise), -32768, 32767)
    return pcm.astype("<i2").tobytes()


_LN_BASE = float(np.log(1.0001))


def log_to_nat(score: float) -> float:
    """Convert a PocketSphinx integer log score (base 1.0001) to natural-log units."""
    return float(score) * _LN_BASE
