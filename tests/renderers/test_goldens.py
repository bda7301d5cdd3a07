"""Image goldens: the default avatar rendered at 320x240 must keep looking the same.

After an intended change to the renderer or to ``assets/avatar/default_head.glb``, regenerate
with ``AFFECT_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/renderers/test_goldens.py``
and look at the PNGs in ``tests/goldens/`` before committing them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from renderers.loaders import default_avatar
from renderers.pose import Pose
from tests.renderers.helpers import GOLDENS, renderer, update_goldens

SIZE = (320, 240)
MAX_MEAN_ABS_DIFF = 1.0
"""Largest allowed mean absolute difference over all channels (8-bit levels)."""
MAX_P99_DIFF = 10
"""Largest allowed 99th percentile of per-pixel channel differences."""


def _jaw_smile() -> Pose:
    pose = Pose.from_dict({"jawOpen": 0.6, "mouthSmileLeft": 0.8, "mouthSmileRight": 0.8})
    pose.head_rotation[:] = (12.0, -4.0, 3.0)
    pose.eye_rotation[:] = (8.0, 3.0, 8.0, 3.0)
    return pose


CASES = {"neutral": Pose(), "jaw_smile": _jaw_smile()}


@pytest.fixture(scope="module")
def rendered():
    with renderer(default_avatar(), *SIZE) as r:
        yield {name: r.render(pose) for name, pose in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_render_matches_golden(rendered, name):
    image = rendered[name]
    path = GOLDENS / f"render_default_{name}.png"
    if update_goldens():
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)
    if not path.exists():
        pytest.fail(f"missing golden {path}; create it with AFFECT_UPDATE_GOLDENS=1")
    golden = np.asarray(Image.open(path).convert("RGB"))
    assert golden.shape == image.shape
    diff = np.abs(golden.astype(np.int16) - image.astype(np.int16))
    mean, p99 = float(diff.mean()), float(np.percentile(diff.max(axis=2), 99))
    assert mean <= MAX_MEAN_ABS_DIFF and p99 <= MAX_P99_DIFF, (
        f"{path.name}: mean abs diff {mean:.2f} (max {MAX_MEAN_ABS_DIFF}), "
        f"99th percentile {p99:.0f} (max {MAX_P99_DIFF}); if the renderer or the default "
        "avatar changed on purpose, regenerate with AFFECT_UPDATE_GOLDENS=1"
    )
