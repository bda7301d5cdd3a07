"""The session's animation controls: stored, passed to the generator, announced to listeners."""

from __future__ import annotations

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import AnimationControls
from studio.errors import StudioError
from studio.session import Session


def test_set_controls_notifies_and_reaches_the_request() -> None:
    session = Session(audio=AudioClip.from_samples(np.zeros(16000, dtype=np.float32), 16000))
    heard: list[str] = []
    session.subscribe(heard.append)
    assert session.controls == AnimationControls()
    controls = AnimationControls(head_motion=0.0, blink_rate=2.0)
    session.set_controls(controls)
    assert heard == ["controls"]
    assert session.controls is controls
    assert session.request().controls == controls


def test_set_controls_rejects_other_types() -> None:
    with pytest.raises(StudioError, match="AnimationControls"):
        Session().set_controls({"head_motion": 0.0})  # type: ignore[arg-type]
