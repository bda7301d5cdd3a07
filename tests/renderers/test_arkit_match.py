"""The ARKit matching report: real rigs' names, synthetic spellings, agreement with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from renderers.arkit import ARKIT_NAMES
from renderers.loaders import load_avatar
from renderers.loaders.arkit_match import (
    IMPORTANT_SHAPES,
    VISEME_NAMES,
    MatchReport,
    build_report,
)
from renderers.loaders.arkit_names import match_arkit_name, strip_prefix
from renderers.loaders.gltf_targets import mesh_targets
from renderers.loaders.mapping_profile import MappingProfile
from tests.renderers.test_gltf_loader import FACECAP_PLAIN, ICT, MESHES, require, triangle_doc

MEDIAPIPE = MESHES / "mediapipe" / "canonical_face_model.obj"


def names_of(path: Path) -> list[str]:
    return [n for m in mesh_targets(require(path)) for n in m.target_names]


# -- the evaluation meshes -----------------------------------------------------------------


def test_facecap_underscore_sides_cover_all_52() -> None:
    report = build_report(names_of(FACECAP_PLAIN))
    assert report.coverage == 1.0 and report.missing == ()
    blink = report.shape("eyeBlinkLeft")
    assert blink.sources == ("eyeBlink_L",) and blink.how == "side"
    assert report.shape("jawOpen").how == "exact"
    assert report.ignored == report.shared == report.visemes == ()


def test_ict_facekit_halves_and_missing_tongue() -> None:
    report = build_report(names_of(ICT))
    assert report.source_count == 57
    assert report.missing == ("tongueOut",)
    assert len(report.matched) == 51
    assert report.important_missing == ()
    for name in ("browInnerUp", "cheekPuff"):
        entry = report.shape(name)
        assert entry.how == "halves"
        assert entry.sources == (f"{name}_L", f"{name}_R")
    assert set(report.ignored) == {"PupilDilate_L", "PupilDilate_R", "cheekRaiser_L",
                                   "cheekRaiser_R"}


def test_mediapipe_canonical_face_has_no_targets() -> None:
    text = require(MEDIAPIPE).read_text(encoding="utf-8")
    kinds = {line.split()[0] for line in text.splitlines() if line.strip()}
    assert kinds <= {"v", "vt", "vn", "f", "#", "mtllib", "usemtl", "o", "g", "s"}
    report = build_report([])  # a neutral mesh only: nothing to animate
    assert report.coverage == 0.0 and len(report.missing) == 52
    assert report.important_missing == tuple(n for n in ARKIT_NAMES if n in IMPORTANT_SHAPES)
    assert "0/52" in report.format_text()


@pytest.mark.parametrize("path", [FACECAP_PLAIN, ICT])
def test_report_agrees_with_the_loader(path: Path) -> None:
    report = build_report(names_of(path))
    assert list(report.missing) == load_avatar(path).missing_arkit_shapes


# -- synthetic spellings -------------------------------------------------------------------


SYNTHETIC = ["blendShape1.EyeBlinkLeft", "ARKit_jawOpen", "eyeBlink.R", "mouthSmile",
             "viseme_aa", "Wolf3D_Head.VISEME_PP", "viseme_sil", "hair_flutter", "smile",
             "Face:mouth_close", "BS_browDownL"]


def test_synthetic_spellings() -> None:
    report = build_report(SYNTHETIC)
    assert report.shape("eyeBlinkLeft").how == "prefix+case"
    assert report.shape("jawOpen").how == "prefix"
    assert report.shape("eyeBlinkRight").how == "side"
    assert report.shape("mouthClose").how == "prefix+case"
    assert report.shape("browDownLeft").how == "prefix+side"
    assert report.shared == (("mouthSmile", ("mouthSmileLeft", "mouthSmileRight")),)
    assert report.shape("mouthSmileLeft").how == report.shape("mouthSmileRight").how == "split"
    assert "mouthSmileLeft" not in report.missing  # the loader cuts it at the midline
    assert report.visemes == (("viseme_sil", "viseme_sil"), ("viseme_PP", "Wolf3D_Head.VISEME_PP"),
                              ("viseme_aa", "viseme_aa"))
    assert report.ignored == ("hair_flutter", "smile")
    assert report.matched == ("eyeBlinkLeft", "eyeBlinkRight", "jawOpen", "mouthClose",
                              "mouthSmileLeft", "mouthSmileRight", "browDownLeft")
    assert report.coverage == pytest.approx(7 / 52)
    assert "mouthSmileLeft" not in report.important_missing


def test_every_viseme_is_found_in_any_case() -> None:
    assert [v for v, _ in build_report(VISEME_NAMES).visemes] == list(VISEME_NAMES)
    report = build_report([f"Avatar.{v.upper()}" for v in VISEME_NAMES])
    assert [v for v, _ in report.visemes] == list(VISEME_NAMES)
    assert report.ignored == () and report.matched == ()


def test_shared_pair_is_not_reported_when_both_sides_exist() -> None:
    report = build_report(["cheekSquint", "cheekSquint_L", "cheekSquint_R"])
    assert report.shared == ()
    assert report.ignored == ("cheekSquint",)


def test_halves_are_ignored_when_the_whole_shape_exists() -> None:
    report = build_report(["browInnerUp_L", "browInnerUp", "browInnerUp_R"])
    assert report.shape("browInnerUp").how == "exact"
    assert report.ignored == ("browInnerUp_L", "browInnerUp_R")


def test_repeated_names_count_once_and_duplicates_are_listed() -> None:
    report = build_report(["eyeBlinkLeft", "eyeBlinkLeft", "EyeBlink_L"])
    assert report.source_count == 2
    assert report.shape("eyeBlinkLeft").sources == ("eyeBlinkLeft", "EyeBlink_L")
    assert report.shape("eyeBlinkLeft").how == "exact"


def test_profile_overrides_matching() -> None:
    profile = MappingProfile({"smile": "mouthSmileLeft", "jawOpen": None, "typo": "jawOpen"},
                             source="face.mapping.json")
    report = build_report(["smile", "jawOpen", "eyeBlink_L"], profile)
    assert report.shape("mouthSmileLeft").how == "profile"
    assert "jawOpen" in report.missing and "jawOpen" in report.ignored
    assert report.unused_profile == ("typo",)
    assert report.profile == "face.mapping.json"
    assert "face.mapping.json" in report.format_text()


def test_to_dict_is_json_and_complete() -> None:
    report = build_report(SYNTHETIC)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["total"] == 52 and data["matched_count"] == 7
    assert data["matched"]["jawOpen"] == {"sources": ["ARKit_jawOpen"], "how": "prefix"}
    assert data["shared"] == {"mouthSmile": ["mouthSmileLeft", "mouthSmileRight"]}
    assert data["visemes"]["viseme_aa"] == "viseme_aa"
    assert len(data["missing"]) == 45 and data["profile"] is None
    assert set(data["important_missing"]) <= set(data["missing"])


def test_format_text_marks_important_missing() -> None:
    text = build_report(["jawOpen"]).format_text()
    lines = text.splitlines()
    assert lines[0].startswith("ARKit coverage: 1/52")
    assert any(line.startswith(" ! mouthClose") for line in lines)
    assert any(line.startswith("   cheekPuff") for line in lines)  # missing, not important
    assert any(line.startswith("   jawOpen") and "exact" in line for line in lines)


def test_report_is_frozen() -> None:
    report = build_report([])
    assert isinstance(report, MatchReport)
    with pytest.raises(AttributeError):
        report.source_count = 3  # type: ignore[misc]


# -- name matching extensions --------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("ARKit_jawOpen", "jawOpen"),
    ("arkitJawOpen", "jawOpen"),
    ("eyeBlink.L", "eyeBlinkLeft"),
    ("Face:eyeBlink.r", "eyeBlinkRight"),
    ("BS_mouthSmile_L", "mouthSmileLeft"),
    ("blendShape_cheekPuff", "cheekPuff"),
    ("ARKit_", None),
    ("arkit", None),
])
def test_prefixes_and_dot_sides(raw: str, expected: str | None) -> None:
    assert match_arkit_name(raw) == expected


def test_strip_prefix_keeps_dot_sides() -> None:
    assert strip_prefix("blendShape1.eyeBlink_L") == "eyeBlink_L"
    assert strip_prefix("rig|eyeBlink.L") == "eyeBlink.L"
    assert strip_prefix("  ARKit_jawOpen ") == "jawOpen"


def test_loader_uses_the_new_spellings(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=2, names=["ARKit_jawOpen", "eyeBlink.L"])
    path = tmp_path / "face.gltf"
    path.write_text(json.dumps(doc))
    (mesh,) = load_avatar(path).meshes
    assert set(mesh.morph_targets) == {"jawOpen", "eyeBlinkLeft"}
    np.testing.assert_allclose(mesh.morph_targets["eyeBlinkLeft"], 0.2, atol=1e-6)


def test_loader_cuts_a_shared_shape_at_the_midline(tmp_path) -> None:
    import numpy as np

    from renderers.loaders.face_points import midline_split

    x = np.linspace(-0.1, 0.1, 201)
    w = midline_split(x)
    assert w[0] == 0.0 and w[-1] == 1.0 and abs(w[100] - 0.5) < 1e-9
    assert np.all(np.diff(w) >= 0)
    np.testing.assert_allclose(w + midline_split(-x), 1.0)  # the halves add up to the whole



def test_an_unsided_smile_drives_both_sides_after_loading(tmp_path) -> None:
    import numpy as np

    from generators.take import CurveSet, EmotionTrack, Provenance, Take, VisemeTrack
    from renderers.loaders.gltf import load_gltf
    from studio.exporters.gltf_export import GlbExporter
    from tests.renderers.synthetic import synthetic_avatar

    avatar = synthetic_avatar(24, 32)
    head = next(m for m in avatar.meshes if "mouthSmileLeft" in m.morph_targets)
    smile = head.morph_targets.pop("mouthSmileLeft") + head.morph_targets.pop("mouthSmileRight")
    head.morph_targets["mouthSmile"] = smile
    take = Take(CurveSet.zeros(30, 2), VisemeTrack(), EmotionTrack(), Provenance("t", "0"))
    path = GlbExporter().export(take, avatar, tmp_path / "one_smile.glb")
    loaded = next(m for m in load_gltf(path).meshes if "mouthSmileLeft" in m.morph_targets)
    left, right = loaded.morph_targets["mouthSmileLeft"], loaded.morph_targets["mouthSmileRight"]
    np.testing.assert_allclose(left + right, loaded.morph_targets["mouthSmile"], atol=1e-6)
    x = loaded.positions[:, 0] - np.median(loaded.positions[:, 0])
    moved = np.linalg.norm(smile, axis=1) > 1e-6
    assert np.abs(left[moved & (x < -0.02)]).max() < 1e-6  # the left smile stays on +X
    assert np.abs(right[moved & (x > 0.02)]).max() < 1e-6
