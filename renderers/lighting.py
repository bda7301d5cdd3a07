"""The studio light rig: key, fill and rim lights fixed to the camera, plus hemisphere ambient."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderers.camera import Camera


@dataclass(frozen=True)
class Light:
    """A directional light.

    Parameters
    ----------
    direction
        ``(right, up, toward viewer)`` in camera space, pointing *toward* the light.
    color
        Linear RGB radiance.
    wrap
        0..1, how far skin may wrap this light round the terminator (0 for rim lights).
    specular
        Scale of this light's specular reflection (a rim light's would put a grey sheen on
        the sides of the nose and cheeks, so it mostly lights the silhouette diffusely).
    """

    direction: tuple[float, float, float]
    color: tuple[float, float, float]
    wrap: float = 1.0
    specular: float = 1.0


@dataclass(frozen=True)
class Lighting:
    """A three-point portrait light rig.

    The lights move with the camera, so any orbit keeps a pleasant key/fill/rim setup.

    Parameters
    ----------
    key, fill, rim
        The three lights.
    sky, ground
        Linear hemisphere ambient colours above and below.
    scatter
        Linear tint of light scattered under the skin (shows at the terminator).
    exposure
        Multiplier before tone mapping.
    occlusion_direct
        0..1, how much baked ambient occlusion also dims the key, fill and rim lights (a cheap
        stand-in for contact shadows in creases, nostrils and the mouth).
    catchlight
        Specular-only light reflected by the eyes (a softbox just above and beside the lens).
    """

    key: Light = Light((-0.6, 0.45, 0.66), (3.5, 3.27, 3.0))
    fill: Light = Light((0.8, 0.1, 0.6), (0.72, 0.71, 0.71))
    rim: Light = Light((0.55, 0.35, -0.76), (1.3, 1.35, 1.45), wrap=0.0, specular=0.2)
    sky: tuple[float, float, float] = (0.14, 0.14, 0.155)
    ground: tuple[float, float, float] = (0.07, 0.055, 0.045)
    scatter: tuple[float, float, float] = (0.6, 0.22, 0.14)
    exposure: float = 1.0
    occlusion_direct: float = 0.6
    catchlight: Light = Light((-0.25, 0.3, 0.92), (40.0, 40.0, 40.0), wrap=0.0)

    @property
    def lights(self) -> tuple[Light, Light, Light]:
        """The key, fill and rim lights."""
        return (self.key, self.fill, self.rim)

    def world_directions(self, camera: Camera) -> np.ndarray:
        """Return ``(3, 3)`` float32 unit directions toward each light in avatar space."""
        return _to_world(camera, [light.direction for light in self.lights])

    def catchlight_direction(self, camera: Camera) -> np.ndarray:
        """Return the ``(3,)`` float32 unit direction toward the catchlight in avatar space."""
        return _to_world(camera, [self.catchlight.direction])[0]


def _to_world(camera: Camera, directions: list[tuple[float, float, float]]) -> np.ndarray:
    basis = np.stack(camera.basis(), axis=1)  # columns: right, up, back
    world = np.asarray(directions, dtype=np.float32) @ basis.T
    return (world / np.linalg.norm(world, axis=1, keepdims=True)).astype(np.float32)
