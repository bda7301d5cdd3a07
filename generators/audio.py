"""AudioClip: decode any common audio file to mono float32, resample, hash.

Decoding uses libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3) and falls back to the bundled
ffmpeg for anything else (M4A/AAC, WMA...). Every check that can reject a file runs before the
samples are allocated.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from generators.errors import AudioError, first_line

MAX_DURATION_S: float = 600.0
"""Longest clip accepted (10 minutes); split longer recordings into lines."""

MAX_FILE_BYTES: int = 2 * 1024**3
"""Largest audio file accepted (2 GiB)."""

SILENCE_PEAK: float = 10 ** (-60 / 20)
"""Peak amplitude below which a clip counts as silent (-60 dBFS)."""

_FFMPEG_FALLBACK_SUFFIXES = {".m4a", ".aac", ".mp4", ".wma", ".webm", ".mka", ".opus", ".aiff"}


@dataclass(frozen=True)
class AudioClip:
    """Decoded mono audio.

    Parameters
    ----------
    samples
        Mono float32 samples in -1..1.
    sample_rate
        Samples per second.
    source
        Path the clip was decoded from (empty for synthetic clips).
    channels
        Channel count of the source before down-mixing.
    sha256
        Hash of the source file's bytes (or of the samples for synthetic clips).

    Examples
    --------
    >>> import numpy as np
    >>> clip = AudioClip.from_samples(np.zeros(16000, dtype=np.float32), 16000)
    >>> clip.duration
    1.0
    """

    samples: np.ndarray
    sample_rate: int
    source: str = ""
    channels: int = 1
    sha256: str = ""

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int, source: str = "") -> AudioClip:
        """Wrap mono (or ``(N, C)`` multi-channel) samples already in memory."""
        data = np.asarray(samples, dtype=np.float32)
        channels = 1 if data.ndim == 1 else int(data.shape[1])
        mono = data if data.ndim == 1 else data.mean(axis=1, dtype=np.float32)
        digest = hashlib.sha256(mono.tobytes()).hexdigest()
        return cls(np.ascontiguousarray(mono), int(sample_rate), source, channels, digest)

    @classmethod
    def load(cls, path: str | Path, *, max_duration: float = MAX_DURATION_S) -> AudioClip:
        """Decode an audio file, rejecting missing, non-audio, empty, silent and too-long clips.

        Raises
        ------
        AudioError
            With a one-line message saying what is wrong and what to do.
        """
        p = Path(path)
        if not p.exists():
            raise AudioError(f"audio file not found: {p} (check the path)")
        if not p.is_file():
            raise AudioError(f"not a file: {p} (pass an audio file such as a .wav)")
        size = p.stat().st_size
        if size == 0:
            raise AudioError(f"audio file is empty (0 bytes): {p}")
        if size > MAX_FILE_BYTES:
            raise AudioError(
                f"audio file is larger than {MAX_FILE_BYTES // 1024**3} GiB: {p} "
                "(split it into shorter lines)"
            )
        data, rate = _decode(p, max_duration)
        if data.shape[0] == 0:
            raise AudioError(f"audio file has no samples: {p} (record or export it again)")
        channels = 1 if data.ndim == 1 else int(data.shape[1])
        mono = data if data.ndim == 1 else data.mean(axis=1, dtype=np.float32)
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        if not np.all(np.isfinite(mono)):
            raise AudioError(f"audio file contains invalid samples (NaN/inf): {p}")
        if float(np.max(np.abs(mono))) < SILENCE_PEAK:
            raise AudioError(
                f"audio is silent (peak below -60 dBFS): {p} (choose a clip with speech)"
            )
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        return cls(mono, int(rate), str(p), channels, digest)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / float(self.sample_rate)

    def resampled(self, rate: int) -> AudioClip:
        """Return this clip at another sample rate (polyphase, anti-aliased)."""
        if rate == self.sample_rate:
            return self
        from scipy.signal import resample_poly

        g = gcd(int(rate), int(self.sample_rate))
        out = resample_poly(self.samples, rate // g, self.sample_rate // g).astype(np.float32)
        return AudioClip(out, int(rate), self.source, self.channels, self.sha256)

    def to_int16(self) -> np.ndarray:
        """Samples as 16-bit PCM (clipped)."""
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def _too_long(p: Path, seconds: float, max_duration: float) -> AudioError:
    return AudioError(
        f"audio is {seconds:.1f} s long, longer than the {max_duration:.0f} s maximum: {p} "
        "(split it into shorter lines)"
    )


def _decode(p: Path, max_duration: float) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile could not identify the file
        if p.suffix.lower() in _FFMPEG_FALLBACK_SUFFIXES:
            return _decode_ffmpeg(p, max_duration)
        raise AudioError(
            f"cannot decode {p.name} as audio ({first_line(exc)}); use WAV, FLAC, MP3, OGG or M4A"
        ) from None
    if info.samplerate <= 0:
        raise AudioError(f"audio file has an invalid sample rate: {p}")
    seconds = info.frames / info.samplerate if info.frames > 0 else 0.0
    if seconds > max_duration:
        raise _too_long(p, seconds, max_duration)
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=False)
    except Exception as exc:
        raise AudioError(
            f"audio file is damaged or truncated: {p} ({first_line(exc)}); export it again"
        ) from None
    return data, int(rate)


def _decode_ffmpeg(p: Path, max_duration: float) -> tuple[np.ndarray, int]:
    import imageio_ffmpeg

    rate = 48000
    max_bytes = int((max_duration + 1) * rate * 4)
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(p),
        "-vn",
        "-ac",
        "1",
        "-ar",
        str(rate),
        "-f",
        "f32le",
        "-t",
        str(max_duration + 1),
        "-",
    ]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = msg[-1] if msg else "unknown format"
        raise AudioError(
            f"cannot decode {p.name} as audio ({detail}); use WAV, FLAC, MP3, OGG or M4A"
        )
    if len(proc.stdout) > max_bytes:
        raise AudioError(f"audio is longer than the {max_duration:.0f} s maximum: {p}")
    data = np.frombuffer(proc.stdout, dtype=np.float32).copy()
    if data.shape[0] / rate > max_duration:
        raise _too_long(p, data.shape[0] / rate, max_duration)
    return data, rate
