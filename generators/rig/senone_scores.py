"""Every senone's score in every frame, from a PocketSphinx decoding pass: the decoder's own.

The lip sync computes these scores itself, faster (:mod:`generators.rig.gaussian_scores`);
this log is the reference it is checked against (:data:`REFERENCE_CONFIG`).

PocketSphinx does not hand out its acoustic scores through the Python API, but it can write
them: with ``senlogdir`` set, each utterance's senone scores go to ``<utterance id>.sen`` in that
folder. :class:`SenoneLogDecoder` runs a decoder with such a folder (a private temporary one),
reads the log back and deletes it. With ``compallsen`` every senone is scored in every frame.
The front end is reset before each utterance: its noise removal otherwise carries its noise
estimate from one clip to the next, and the same audio scored up to 150 units (15 nats)
differently depending on what was decoded before.

Log format (``acmod.c``): an s3 header ending in ``endhdr``, a byte-order word, then per frame
an int16 count of scored senones followed either by all their scores (when every senone was
scored) or by one-byte index deltas and the scores. Scores are int16 in PocketSphinx's log base
1.0001, divided by 2**10, and negated: 0 is the frame's best senone, larger is worse.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from generators.rig.sphinx import DecoderConfig

__all__ = [
    "REFERENCE_CONFIG",
    "SenoneLogDecoder",
    "read_senone_log",
]

REFERENCE_CONFIG = DecoderConfig(mode="phones", compallsen=True, ds=1, lw=1.0)
"""A phone-loop pass that scores every senone in every frame (``compallsen``, ``ds=1``)."""

_BYTE_ORDER_MAGIC = 0x11223344


def _parse_sparse(frames: bytes, order: str, n_senones: int) -> np.ndarray:
    """The slow path: frames in which not every senone was scored (unscored ones get the worst)."""
    rows = []
    off = 0
    worst = np.iinfo(np.int16).max
    while off < len(frames):
        n = int(np.frombuffer(frames, order + "i2", 1, off)[0])
        off += 2
        row = np.full(n_senones, worst, dtype=np.int16)
        if n == n_senones:
            row[:] = np.frombuffer(frames, order + "i2", n, off)
            off += 2 * n
        else:
            deltas = np.frombuffer(frames, np.uint8, n, off).astype(np.int64)
            off += n
            row[np.cumsum(deltas)] = np.frombuffer(frames, order + "i2", n, off)
            off += 2 * n
        rows.append(row)
    return np.array(rows, dtype=np.int16).reshape(-1, n_senones)


def read_senone_log(data: bytes, n_senones: int) -> np.ndarray:
    """Parse a senone log.

    Parameters
    ----------
    data
        The contents of a ``.sen`` file.
    n_senones
        Senones in the model.

    Returns
    -------
    numpy.ndarray
        ``(frames, n_senones)`` int16 scores (0 best, larger worse; see
        :data:`~generators.rig.gaussian_scores.SCORE_UNIT_NATS`).

    Raises
    ------
    ValueError
        If the log has no header or was written for another number of senones.

    Examples
    --------
    >>> head = b"s3\\nn_sen 2\\nendhdr\\n" + np.array([0x11223344], "<u4").tobytes()
    >>> frames = np.array([2, 0, 5, 2, 7, 0], "<i2").tobytes()
    >>> read_senone_log(head + frames, 2).tolist()
    [[0, 5], [7, 0]]
    """
    try:
        start = data.index(b"endhdr\n") + len("endhdr\n")
    except ValueError:
        raise ValueError("not a senone log (no header)") from None
    header = data[:start].decode("ascii", "replace").split()
    if "n_sen" in header and int(header[header.index("n_sen") + 1]) != n_senones:
        raise ValueError("the senone log was written for another acoustic model")
    order = "<" if int(np.frombuffer(data, "<u4", 1, start)[0]) == _BYTE_ORDER_MAGIC else ">"
    frames = data[start + 4 :]
    width = n_senones + 1
    if len(frames) % (2 * width) == 0:  # the usual case: every senone scored in every frame
        table = np.frombuffer(frames, order + "i2").reshape(-1, width)
        if np.all(table[:, 0] == n_senones):
            return table[:, 1:].astype(np.int16)
    return _parse_sparse(frames, order, n_senones)


class SenoneLogDecoder:
    """A PocketSphinx decoder that also returns every frame's senone scores.

    Parameters
    ----------
    config
        Decoder settings; ``compallsen`` should be on (otherwise only the senones the search
        needed are scored and the rest read as the worst score).
    n_senones
        Senones in the acoustic model.
    """

    def __init__(self, config: DecoderConfig, n_senones: int) -> None:
        import pocketsphinx

        self._dir = Path(tempfile.mkdtemp(prefix="affect-senones-"))
        atexit.register(shutil.rmtree, self._dir, True)
        self.decoder = pocketsphinx.Decoder(**config.options(), senlogdir=str(self._dir))
        self.n_senones = n_senones

    def run(
        self,
        pcm: bytes,
        reduce: Callable[[np.ndarray], np.ndarray] | None = None,
        *,
        block: int = 1024,
    ) -> np.ndarray:
        """Decode one utterance; return its senone scores, or ``reduce`` of them.

        Parameters
        ----------
        pcm
            16 kHz mono 16-bit PCM.
        reduce
            Applied to ``(frames, n_senones)`` blocks of scores (at most ``block`` frames each)
            as they are read, the results concatenated along the first axis: the log holds 10 kB
            per frame, so a long clip should not be held whole.
        block
            Frames per block.

        Returns
        -------
        numpy.ndarray
            ``(frames, n_senones)`` int16 scores, or the concatenated reductions. The decoder's
            own results (``seg()``, ``n_frames()``...) stay readable afterwards.
        """
        for stale in self._dir.glob("*.sen"):
            stale.unlink()
        dec = self.decoder
        dec.reinit_feat()  # type: ignore[attr-defined]  # forget the last clip's noise estimate
        dec.start_utt()  # type: ignore[attr-defined]
        dec.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
        dec.end_utt()  # type: ignore[attr-defined]
        logs = sorted(self._dir.glob("*.sen"))
        keep = reduce or (lambda x: x)
        try:
            parts = [keep(b) for b in _blocks(logs[-1], self.n_senones, block)] if logs else []
        finally:
            for log in logs:
                log.unlink()
        if parts:
            return np.concatenate(parts)
        return keep(np.zeros((0, self.n_senones), dtype=np.int16))


def _blocks(path: Path, n_senones: int, block: int) -> Iterator[np.ndarray]:
    """Read a senone log in blocks of frames (all of it at once in the sparse format)."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
        try:
            start = head.index(b"endhdr\n") + len("endhdr\n") + 4
        except ValueError:
            raise ValueError("not a senone log (no header)") from None
        order = (
            "<" if int(np.frombuffer(head, "<u4", 1, start - 4)[0]) == _BYTE_ORDER_MAGIC else ">"
        )
        f.seek(start)
        width = n_senones + 1
        while chunk := f.read(2 * width * block):
            sparse = len(chunk) % (2 * width) != 0  # one-byte index deltas: any length
            table = np.frombuffer(chunk[: len(chunk) - len(chunk) % 2], order + "i2")
            if sparse or np.any(table.reshape(-1, width)[:, 0] != n_senones):
                yield read_senone_log(head[:start] + chunk + f.read(), n_senones)
                return
            yield table.reshape(-1, width)[:, 1:].astype(np.int16)
