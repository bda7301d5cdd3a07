"""Binary glTF (``.glb``): the avatar with its morph targets and the take as one animation.

What the file holds (see "File formats (contract)" in the design guide):

* every avatar mesh with its material (base-colour and normal maps as PNG images, with
  ``TEXCOORD_0`` and ``TANGENT``), positions, normals, vertex colours, triangles and its
  morph targets (``POSITION`` deltas, sparse where that is smaller), ``mesh.extras.targetNames``
  and zero default ``weights`` (node layout: :mod:`studio.exporters.gltf_scene`);
* one animation, ``affectStudio``, sampled at the take's frame times ``i / fps`` with ``LINEAR``
  interpolation: a ``weights`` channel per mesh node with morph targets (the take's ARKit curves,
  and the avatar's own visemes and expression presets driven as the viewport drives them:
  :mod:`renderers.channel_drive`; other targets stay at 0), a ``rotation`` channel on the
  ``head`` node (the head yaw/pitch/roll) and a ``rotation`` channel on each eyeball node (that
  eye's yaw/pitch). Angles become quaternions exactly as the renderer rotates the head and eyes
  (:mod:`studio.exporters.gltf_rotation`), so a glTF player moves the face the way the studio's
  viewport does.

Blender imports the file with shape-key animation (``bpy.ops.import_scene.gltf``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generators.progress import NullProgress, ProgressSink, SubProgress
from generators.take import CurveSet, Take
from renderers.avatar import Avatar
from renderers.channel_drive import ChannelDrive, target_weights
from studio.errors import ExportError
from studio.exporters.base import atomic_output, check_writable
from studio.exporters.gltf_binary import GLB_HEADER_BYTES, glb_json_bytes, write_glb
from studio.exporters.gltf_rotation import angle_quaternions
from studio.exporters.gltf_scene import GltfScene, build_scene

__all__ = [
    "ANIMATION_NAME",
    "MAX_GLB_BYTES",
    "GlbExporter",
    "add_animation",
    "curve_channels",
    "animation_bytes",
]

ANIMATION_NAME = "affectStudio"
"""Name of the one animation in the file."""

MAX_GLB_BYTES = 2 * 2**30
"""Largest ``.glb`` written (2 GiB); longer takes are refused before any work."""

_JSON_SLACK = 1 << 20
"""Room kept for the JSON chunk when sizing the file before it is built."""


def curve_channels(curves: CurveSet, avatar: Avatar) -> np.ndarray:
    """``(N, 72)`` channel weights of ``curves`` as the renderer drives ``avatar``'s shapes."""
    return ChannelDrive.for_avatar(avatar).rows(
        curves.weights, visemes=curves.visemes, speech=curves.speech,
        expressions=curves.expressions,
    )


def animation_bytes(scene: GltfScene, num_frames: int) -> int:
    """Bytes the animation data of ``num_frames`` frames adds to ``scene``'s buffer."""
    per_frame = 4  # the time
    per_frame += 4 * sum(len(t) for t in {names for _, names in scene.morph_nodes})
    per_frame += 16 * (1 + len(scene.eye_nodes))  # one quaternion per rotating node
    channels = 2 + len({names for _, names in scene.morph_nodes}) + len(scene.eye_nodes)
    return num_frames * per_frame + 4 * channels  # + alignment padding


def add_animation(scene: GltfScene, curves: CurveSet, morph_weights: np.ndarray) -> None:
    """Append the ``affectStudio`` animation of ``curves`` to ``scene``.

    ``morph_weights`` are the ``(N, 72)`` channel weights from :func:`curve_channels`.
    """
    buf = scene.buffer
    fps = float(curves.fps)
    times = (np.arange(curves.num_frames, dtype=np.float64) / fps).astype(np.float32)
    if np.any(np.diff(times) <= 0):
        raise ExportError(f"the take is too long for glTF key times at {fps:g} fps "
                          "(export a shorter take)")
    time_acc = buf.accessor(times, min_max=True)
    samplers: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []

    def channel(node: int, path: str, output: int) -> None:
        samplers.append({"input": time_acc, "output": output, "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": node, "path": path}})

    shared: dict[tuple[str, ...], int] = {}  # meshes with the same targets share one output
    for node, names in scene.morph_nodes:
        if names not in shared:
            shared[names] = buf.accessor(target_weights(morph_weights, names).reshape(-1))
        channel(node, "weights", shared[names])
    head = np.asarray(curves.head_rotation, dtype=np.float64)
    quats = angle_quaternions(head[:, 0], head[:, 1], head[:, 2])
    channel(scene.head_node, "rotation", buf.accessor(quats.astype(np.float32)))
    eyes = np.asarray(curves.eye_rotation, dtype=np.float64)
    for node, part in scene.eye_nodes:
        yaw, pitch = (eyes[:, 0], eyes[:, 1]) if part == "eye_left" else (eyes[:, 2], eyes[:, 3])
        channel(node, "rotation", buf.accessor(angle_quaternions(yaw, pitch).astype(np.float32)))
    scene.document["animations"] = [{
        "name": ANIMATION_NAME,
        "samplers": samplers,
        "channels": channels,
        "extras": {"fps": int(fps) if fps.is_integer() else fps, "frames": curves.num_frames},
    }]


class GlbExporter:
    """Write the avatar and a take's animation as one binary glTF 2.0 file.

    Parameters
    ----------
    max_bytes
        Largest file written; a take whose file would be larger is refused with an
        :class:`~studio.errors.ExportError` before anything is built.

    Examples
    --------
    >>> GlbExporter().extensions
    ('.glb',)
    """

    name = "glb"
    extensions: tuple[str, ...] = (".glb",)
    label = "glTF binary"

    def __init__(self, *, max_bytes: int = MAX_GLB_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = int(max_bytes)

    def export(
        self,
        take: Take,
        avatar: Avatar | None,
        dest: Path,
        *,
        progress: ProgressSink | None = None,
    ) -> Path:
        """Write ``take`` on ``avatar`` (the default head when ``None``) to ``dest``.

        Raises
        ------
        ExportError
            The take has no frames, the file would exceed ``max_bytes``, or ``dest`` cannot be
            written; nothing is left behind.
        """
        progress = progress or NullProgress()
        dest = Path(dest)
        check_writable(dest)
        curves = take.curves
        if curves.num_frames == 0:
            raise ExportError("the take has no frames to export (generate a take first)")
        if avatar is None:
            from renderers.loaders import default_avatar

            avatar = default_avatar()
        progress.report(0.0, "building glTF meshes")
        scene = build_scene(avatar, SubProgress(progress, 0.0, 0.5))
        self._check_size(GLB_HEADER_BYTES + _JSON_SLACK + scene.buffer.byte_length
                         + animation_bytes(scene, curves.num_frames), curves)
        progress.report(0.5, "building glTF animation")
        add_animation(scene, curves, curve_channels(curves, avatar))
        scene.document["buffers"][0]["byteLength"] = scene.buffer.byte_length
        json_chunk = glb_json_bytes(scene.document)
        self._check_size(GLB_HEADER_BYTES + len(json_chunk) + scene.buffer.byte_length, curves)
        progress.report(0.7, "writing glTF binary")
        try:
            with atomic_output(dest) as tmp, open(tmp, "wb") as fh:
                write_glb(fh, json_chunk, scene.buffer)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ExportError(
                f"could not write {dest} ({reason}; free some space or choose another folder)"
            ) from None
        progress.report(1.0, "glTF binary written")
        return dest

    def _check_size(self, size: int, curves: CurveSet) -> None:
        if size <= self.max_bytes:
            return
        raise ExportError(
            f"the .glb would take {_mib(size)} for {curves.num_frames} frames, over the "
            f"{_mib(self.max_bytes)} limit (export a shorter take, a lower frame rate, "
            "or the curves as .json)"
        )


def _mib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"
