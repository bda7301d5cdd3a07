"""Turn a mesh's named morph-target deltas into the driven targets every loader stores.

One rule set for every format (glTF targets, OBJ shape files):

* a mapping profile entry wins (``None`` drops the target);
* else a name matching an ARKit shape (:func:`~renderers.loaders.arkit_names.match_arkit_name`)
  or a viseme (``viseme_aa`` ...) is stored under that channel name, anything else under its
  own name; the first target of a name wins;
* one-sided halves of an unsided ARKit shape (``cheekPuff_L`` + ``cheekPuff_R``) are kept and
  also summed into the shape when the mesh has no whole one;
* an unsided target standing for a left/right pair (``mouthSmile``) is cut at the face's
  midline into both sides when the mesh has neither.

Examples
--------
>>> import numpy as np
>>> one = np.ones((2, 3))
>>> morphs = match_targets([("eyeBlink_L", one), ("cheekPuff_L", one), ("cheekPuff_R", one),
...                         ("mouthSmile", one)], {}, lambda: np.array([1.0, 0.0]))
>>> sorted(morphs)  # doctest: +NORMALIZE_WHITESPACE
['cheekPuff', 'cheekPuff_L', 'cheekPuff_R', 'eyeBlinkLeft', 'mouthSmile', 'mouthSmileLeft',
 'mouthSmileRight']
>>> morphs["cheekPuff"][0].tolist(), morphs["mouthSmileLeft"][:, 0].tolist()
([2.0, 2.0, 2.0], [1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from renderers.loaders.arkit_names import (
    match_arkit_name,
    match_viseme_name,
    sided_pair,
    unsided_arkit_name,
)

__all__ = ["match_targets"]


def match_targets(targets: Iterable[tuple[str, np.ndarray]], overrides: Mapping[str, str | None],
                  left_weight: Callable[[], np.ndarray]) -> dict[str, np.ndarray]:
    """Name a mesh's morph targets by channel.

    Parameters
    ----------
    targets
        ``(name as in the file, (V, 3) delta)`` pairs in file order (may be a generator).
    overrides
        Mapping-profile entries: target name -> ARKit name, or ``None`` to drop the target.
    left_weight
        Called at most once, when an unsided pair target must be split: ``(V,)`` weight of
        the avatar's left side per vertex (1 left, 0 right, see
        :func:`renderers.loaders.face_points.midline_split`).

    Returns
    -------
    dict
        Channel or own name -> ``(V, 3)`` float32 delta.
    """
    morphs: dict[str, np.ndarray] = {}
    sided: dict[str, list[np.ndarray]] = {}
    shared: list[tuple[tuple[str, str], np.ndarray]] = []
    for raw, delta in targets:
        if raw in overrides:  # the mapping profile wins; null drops the target
            key, half = overrides[raw], None
            if key is None:
                continue
        else:
            key = match_arkit_name(raw) or match_viseme_name(raw) or raw
            half = unsided_arkit_name(raw)
            pair = sided_pair(raw)
            if pair is not None:
                shared.append((pair, delta))
        if key in morphs:
            continue
        morphs[key] = delta.astype(np.float32)
        if half is not None:
            sided.setdefault(half, []).append(delta)
    for name, halves in sided.items():
        if name not in morphs:
            morphs[name] = np.sum(halves, axis=0).astype(np.float32)
    weight: np.ndarray | None = None
    for (left, right), delta in shared:  # "mouthSmile": cut at the face's midline
        if left not in morphs and right not in morphs:
            if weight is None:
                weight = np.asarray(left_weight(), dtype=np.float64)[:, None]
            morphs[left] = (delta * weight).astype(np.float32)
            morphs[right] = (delta * (1.0 - weight)).astype(np.float32)
    return morphs
