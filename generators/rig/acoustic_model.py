"""The structure of the bundled en-US acoustic model, read from its own files.

PocketSphinx scores *senones* (tied HMM states) every frame; the phone-posterior decoder
(:mod:`generators.rig.phone_posteriors`) needs to know which senones belong to which phone and
state, and each phone's HMM transitions. Both are in the model folder that ships inside the
``pocketsphinx`` wheel:

* ``mdef`` (binary model definition, "BMDF"): the context-independent (CI) phones, every
  triphone and the senone sequence of each;
* ``transition_matrices``: one 3-state left-to-right HMM per CI phone.

Examples
--------
>>> model = acoustic_model()
>>> model.phones[:4], model.n_states
(('+NSN+', '+SPN+', 'AA', 'AE'), 3)
>>> int(model.ci_senones[model.phones.index("AA"), 0]), model.n_senones
(6, 5126)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "AcousticModel",
    "acoustic_model",
    "model_dir",
    "read_mdef",
    "read_transitions",
    "s3_body",
]

_MDEF_MAGIC = b"BMDF"
_BYTE_ORDER_MAGIC = 0x11223344


def model_dir() -> Path:
    """Folder of the bundled en-US acoustic model (what ``pocketsphinx.Decoder()`` loads)."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us/en-us"))


@dataclass(frozen=True, eq=False)
class AcousticModel:
    """Phones, senones and HMM transitions of an acoustic model.

    Parameters
    ----------
    phones
        Context-independent phone names in model order (fillers such as ``"+NSN+"`` included).
    n_senones
        Senones scored per frame (context-independent ones first).
    ci_senones
        ``(n_phones, n_states)`` senone of each CI phone's states.
    senone_state
        ``(n_senones,)`` ``phone * n_states + state`` of the CI phone state each senone models
        (in any context).
    log_stay, log_advance
        ``(n_phones, n_states)`` natural-log transition probabilities of each state to itself and
        to the next state (from the last state: leaving the phone).

    Instances compare and hash by identity (they hold arrays), so they can key caches.
    """

    phones: tuple[str, ...]
    n_senones: int
    ci_senones: np.ndarray
    senone_state: np.ndarray
    log_stay: np.ndarray
    log_advance: np.ndarray

    @property
    def n_states(self) -> int:
        """Emitting states per phone."""
        return int(self.ci_senones.shape[1])


def s3_body(data: bytes) -> tuple[int, str]:
    """Where an s3 model file's data starts (after ``endhdr`` and the byte-order word), and
    its byte order (``"<"`` or ``">"``).

    Raises
    ------
    ValueError
        If the file has no header or ends inside it.

    Examples
    --------
    >>> s3_body(b"s3\\nendhdr\\n" + bytes.fromhex("44332211"))
    (14, '<')
    """
    try:
        start = data.index(b"endhdr\n") + len("endhdr\n")
    except ValueError:
        raise ValueError("not a Sphinx model file (no header)") from None
    if start + 4 > len(data):
        raise ValueError("the model file is truncated")
    magic_le = struct.unpack("<I", data[start : start + 4])[0]
    return start + 4, "<" if magic_le == _BYTE_ORDER_MAGIC else ">"


def read_mdef(path: Path) -> tuple[tuple[str, ...], int, np.ndarray, np.ndarray, np.ndarray]:
    """Read a binary model definition.

    Parameters
    ----------
    path
        A ``mdef`` file in PocketSphinx's binary ("BMDF") format.

    Returns
    -------
    tuple
        ``(phone names, n_senones, ci_senones (n_phones, n_states), senone_state (n_senones,),
        tmat (n_phones,))``: the CI phones, the senone sequence of each CI phone, the CI phone
        state of every senone and each CI phone's transition matrix index.

    Raises
    ------
    ValueError
        If the file is not a binary model definition with a fixed number of states.
    """
    data = path.read_bytes()
    if data[:4] != _MDEF_MAGIC:
        raise ValueError(f"{path} is not a binary model definition")
    order = "<" if struct.unpack("<i", data[4:8])[0] == 1 else ">"
    text_len = struct.unpack(order + "i", data[8:12])[0]
    off = 12 + text_len
    fields = struct.unpack(order + "10i", data[off : off + 40])
    n_ci, n_phone, n_states, _n_ci_sen, n_sen, _n_tmat, n_sseq, _n_ctx, n_cd_tree, _sil = fields
    if n_states <= 0:
        raise ValueError(f"{path}: phones with different numbers of states are not supported")
    off += 40
    names = []
    for _ in range(n_ci):
        end = data.index(b"\0", off)
        names.append(data[off:end].decode("ascii"))
        off = end + 1
    off = (off + 3) & ~3
    off += 8 * n_cd_tree  # the context tree: not needed
    entry = np.dtype([("ssid", order + "i4"), ("tmat", order + "i4"), ("attr", "u1", (4,))])
    phones = np.frombuffer(data, dtype=entry, count=n_phone, offset=off)
    off += entry.itemsize * n_phone + 4  # + the int32 count of the senone sequence table
    sseq = np.frombuffer(data, dtype=order + "u2", count=n_sseq * n_states, offset=off)
    sseq = sseq.reshape(n_sseq, n_states).astype(np.int64)
    # The CI phone of a triphone is its first context byte (attr = word position, base, l, r).
    base = np.where(np.arange(n_phone) < n_ci, np.arange(n_phone), phones["attr"][:, 1])
    senone_state = np.full(n_sen, -1, dtype=np.int64)
    seqs = sseq[phones["ssid"]]  # (n_phone, n_states)
    keys = base[:, None] * n_states + np.arange(n_states)[None, :]
    senone_state[seqs.ravel()] = keys.ravel()
    if np.any(senone_state < 0):
        raise ValueError(f"{path}: some senones belong to no phone")
    ci_senones = seqs[:n_ci]
    return tuple(names), int(n_sen), ci_senones, senone_state, phones["tmat"][:n_ci].copy()


def read_transitions(path: Path) -> np.ndarray:
    """Read ``transition_matrices``: ``(n_tmat, n_states, n_states + 1)``, rows normalised."""
    data = path.read_bytes()
    off, order = s3_body(data)
    n_tmat, n_src, n_dst, count = struct.unpack(order + "4i", data[off : off + 16])
    values = np.frombuffer(data, dtype=order + "f4", count=count, offset=off + 16)
    tmat = values.reshape(n_tmat, n_src, n_dst).astype(np.float64)
    return tmat / np.maximum(tmat.sum(axis=2, keepdims=True), 1e-300)


@lru_cache(maxsize=1)
def acoustic_model() -> AcousticModel:
    """The bundled en-US model's structure (read once, ~30 ms)."""
    folder = model_dir()
    names, n_sen, ci_senones, senone_state, tmat_of = read_mdef(folder / "mdef")
    tmat = read_transitions(folder / "transition_matrices")[tmat_of]
    n_states = ci_senones.shape[1]
    with np.errstate(divide="ignore"):
        stay = np.log(tmat[:, np.arange(n_states), np.arange(n_states)])
        advance = np.log(tmat[:, np.arange(n_states), np.arange(1, n_states + 1)])
    return AcousticModel(names, n_sen, ci_senones, senone_state, stay, advance)
