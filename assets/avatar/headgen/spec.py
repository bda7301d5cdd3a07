"""Proportions of the default head, in metres, in the *build frame*.

The build frame is glTF's (+Y up, the face looks toward +Z, the avatar's left is +X) with its
origin at the centre of the skull; :data:`OUTPUT_OFFSET` moves it so that the bottom of the
neck sits at ``y = 0`` in the written file.
"""

from __future__ import annotations

import numpy as np

# -- global placement ----------------------------------------------------------------------

NECK_BOTTOM_Y = -0.17
"""Where the neck stub is cut off (build frame)."""

OUTPUT_OFFSET = np.array([0.0, -NECK_BOTTOM_Y, 0.0])
"""Added to every position on output: the neck's bottom lands on ``y = 0``."""

HEAD_PIVOT = np.array([0.0, -0.068, -0.022])
"""Top of the neck, behind the jaw: what the whole head turns about (build frame)."""

# -- eyes ----------------------------------------------------------------------------------

EYE_CENTRE_LEFT = np.array([0.031, 0.006, 0.0672])
"""Centre of the left (+X) eyeball."""

EYE_RADIUS = 0.0134
"""Eyeball radius."""

LID_RADIUS = 0.0153
"""Radius of the eyelid shell around the eyeball centre (lid thickness = LID - EYE)."""

IRIS_ANGLE_DEG = 30.0
"""Angular radius of the iris seen from the eyeball centre."""

PUPIL_ANGLE_DEG = 12.0
"""Angular radius of the pupil."""

# Eye opening in eye-local angles (a: azimuth, + toward the outer corner; b: elevation), deg.
EYE_CORNER_IN = (-63.0, -3.5)
"""(a, b) of the inner (medial) corner."""

EYE_CORNER_OUT = (59.0, 4.5)
"""(a, b) of the outer (lateral) corner."""

UPPER_LID_HEIGHT_DEG = 36.0
"""How far the upper lid edge rises above the corner line at its peak."""

LOWER_LID_DEPTH_DEG = 25.0
"""How far the lower lid edge drops below the corner line at its lowest point."""

# -- mouth ---------------------------------------------------------------------------------

MOUTH_LAT_DEG = -26.5
"""Latitude (seen from the skull centre) of the row along which the lips part."""

MOUTH_HALF_WIDTH_DEG = 12.5
"""Longitude of the mouth corners (the lips part for ``|lon| < this``)."""

JAW_HINGE = np.array([0.0, -0.004, -0.012])
"""A point on the jaw's rotation axis (parallel to X, just in front of the ears)."""

JAW_OPEN_DEG = 19.0
"""Jaw rotation of ``jawOpen`` at weight 1."""
