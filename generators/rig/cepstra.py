"""The cepstra of PocketSphinx's own front end, for scoring the acoustic model in numpy.

The bundled model was trained on the front end of PocketSphinx (noise removal by spectral
subtraction, 25 mel filters between 130 and 6800 Hz, 13 cepstra every 10 ms), so its Gaussians
must see exactly those cepstra. The decoder writes them when asked (``mfclogdir``) as it reads
the audio; a search that only knows silence keeps that pass nearly free (about 0.006 s of CPU
per second of audio), and :mod:`generators.rig.gaussian_scores` does the rest.

Log format (``acmod.c``): an int32 count of the floats that follow, then the cepstra as float32
frames of 13, big-endian as Sphinx feature files are.

The log folder is private to the process (``affect-cepstra-<pid>-...`` in the temporary
folder) and removed when it exits; a process that was killed cannot, so the next front end to
start removes the folders of this user's processes that no longer run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

import numpy as np

from generators.rig.sphinx import DecoderConfig

__all__ = [
    "CEPSTRA_CONFIG",
    "LOG_PREFIX",
    "N_CEPSTRA",
    "cepstra",
    "read_cepstra_log",
    "remove_orphaned_logs",
]

N_CEPSTRA: int = 13
"""Cepstral coefficients per frame (``c0``, the log energy, first)."""

CEPSTRA_CONFIG = DecoderConfig(mode="align")
"""Decoder settings of the pass that only runs the front end (its search knows silence only)."""

_SEARCH = "front-end-only"


def read_cepstra_log(data: bytes) -> np.ndarray:
    """Parse a Sphinx feature file.

    Parameters
    ----------
    data
        The contents of a ``.mfc`` file.

    Returns
    -------
    numpy.ndarray
        ``(frames, 13)`` float32 cepstra.

    Raises
    ------
    ValueError
        If the file's count does not match its length in either byte order.

    Examples
    --------
    >>> frames = np.arange(26, dtype=">f4")
    >>> read_cepstra_log(np.array([26], ">i4").tobytes() + frames.tobytes()).shape
    (2, 13)
    """
    n_floats = (len(data) - 4) // 4
    for order in (">", "<"):
        count = int(np.frombuffer(data[:4], order + "i4")[0]) if len(data) >= 4 else -1
        if count == n_floats and count % N_CEPSTRA == 0:
            values = np.frombuffer(data, order + "f4", count, 4)
            return values.reshape(-1, N_CEPSTRA).astype(np.float32)
    raise ValueError("not a Sphinx feature file (its count does not match its length)")


LOG_PREFIX: str = "affect-cepstra-"
"""Start of the name of a process's log folder (then its process id, a dash, a random part)."""


def remove_orphaned_logs(folder: Path) -> list[Path]:
    """Remove the log folders in ``folder`` of this user's processes that no longer run.

    Parameters
    ----------
    folder
        Where the log folders are (the temporary folder).

    Returns
    -------
    list of Path
        The folders removed. Best effort: nothing is removed where processes cannot be looked
        up (not POSIX), nor a folder of another user, a symbolic link, or one whose name carries
        no plausible process id; nothing here ever raises.
    """
    if os.name != "posix":
        return []
    removed = []
    try:
        candidates = list(folder.glob(f"{LOG_PREFIX}*-*"))
    except OSError:
        return []
    for path in candidates:
        pid = _process_id(path.name[len(LOG_PREFIX) :].split("-", 1)[0])
        if pid is None or _running(pid):
            continue
        try:
            info = path.lstat()  # the entry itself: a link is never followed
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


def _process_id(text: str) -> int | None:
    """``text`` as a process id, or ``None`` when it cannot be one."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    pid = int(text)
    return pid if 0 < pid < 2**31 else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True  # exists (someone else's), or cannot be asked: keep its folder
    return True


class _FrontEnd:
    """A decoder that logs its cepstra to a private folder and searches for silence only."""

    def __init__(self) -> None:
        import pocketsphinx

        remove_orphaned_logs(Path(tempfile.gettempdir()))
        self._dir = Path(tempfile.mkdtemp(prefix=f"{LOG_PREFIX}{os.getpid()}-"))
        atexit.register(shutil.rmtree, self._dir, True)
        self.decoder = pocketsphinx.Decoder(**CEPSTRA_CONFIG.options(), mfclogdir=str(self._dir))
        dec = self.decoder
        fsg = dec.create_fsg(_SEARCH, 0, 1, [(0, 1, 1.0, "<sil>")])  # type: ignore[attr-defined]
        dec.add_fsg(_SEARCH, fsg)  # type: ignore[attr-defined]
        self.lock = threading.Lock()

    def run(self, pcm: bytes) -> np.ndarray:
        for stale in self._dir.glob("*.mfc"):
            stale.unlink()
        dec = self.decoder
        dec.activate_search(_SEARCH)  # type: ignore[attr-defined]
        dec.reinit_feat()  # type: ignore[attr-defined]  # forget the last clip's noise estimate
        dec.start_utt()  # type: ignore[attr-defined]
        try:
            dec.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
            dec.end_utt()  # type: ignore[attr-defined]
        except RuntimeError:
            pass  # the search may find no path; the front end has run all the same
        logs = sorted(self._dir.glob("*.mfc"))
        try:
            if not logs:
                return np.zeros((0, N_CEPSTRA), dtype=np.float32)
            return read_cepstra_log(logs[-1].read_bytes())
        finally:
            for log in logs:
                log.unlink()


_lock = threading.Lock()
_front_end: list[_FrontEnd] = []


def cepstra(pcm: bytes) -> np.ndarray:
    """The front end's cepstra of 16 kHz PCM audio (one per 10 ms frame).

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).

    Returns
    -------
    numpy.ndarray
        ``(frames, 13)`` float32, before cepstral mean normalisation.

    Examples
    --------
    >>> cepstra(bytes(3200)).shape  # 0.1 s of digital silence
    (9, 13)
    """
    with _lock:
        if not _front_end:
            _front_end.append(_FrontEnd())
    front = _front_end[0]
    with front.lock:
        return front.run(pcm)
