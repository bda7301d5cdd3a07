"""Visemes and coarticulation: smooth mouth curves that still close the lips on p/b/m."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from bench.lipsync_metrics import CONTACT_MM, LipGauge
from generators.rig.coarticulation import CLOSURE_JAW_MAX, coarticulate
from generators.rig.pronunciation import ARPABET
from generators.rig.visemes import (
    PHONE_VISEMES,
    VISEMES,
    phones_to_visemes,
    viseme_table,
)
from generators.take import PhonemeSegment
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from renderers.loaders import default_avatar

MOUTH = np.array([n.startswith(("jaw", "mouth", "tongue", "cheek")) for n in ARKIT_NAMES])
GAUGE = LipGauge(default_avatar())


def gap_at(curves: object, t: float) -> float:
    """Lip gap (mm) of the default avatar's mesh at time ``t``."""
    w = np.array([np.interp(t, curves.times, curves.weights[:, k]) for k in range(52)])
    return float(GAUGE.gap_mm(w)[0])


def seq(spec: str, start: float = 0.3) -> list[PhonemeSegment]:
    """'AA:120 M:60 ...' -> contiguous phones with durations in ms, padded with silence."""
    out = [PhonemeSegment("SIL", 0.0, start)]
    t = start
    for item in spec.split():
        phone, ms = item.split(":")
        out.append(PhonemeSegment(phone, t, t + int(ms) / 1000))
        t += int(ms) / 1000
    out.append(PhonemeSegment("SIL", t, t + 0.4))
    return out


def times_for(phones: list[PhonemeSegment], fps: float) -> np.ndarray:
    n = int(np.ceil(phones[-1].end * fps))
    return np.arange(n) / fps


def sample(curves, name: str, t: float) -> float:
    return float(np.interp(t, curves.times, curves.weights[:, ARKIT_INDEX[name]]))


# --- the table --------------------------------------------------------------------------------


def test_viseme_table_is_complete_and_in_range() -> None:
    table = viseme_table()
    assert set(table) == set(VISEMES) and len(VISEMES) == 15
    for spec in table.values():
        assert spec.weights.shape == (52,)
        assert spec.weights.min() >= 0 and spec.weights.max() <= 1
        assert np.all(spec.dominance > 0)
    data = resources.files("assets") / "presets" / "visemes.json"
    assert json.loads(data.read_text(encoding="utf-8"))["version"] == 1


def test_every_arpabet_phone_has_a_viseme() -> None:
    assert ARPABET | {"SIL"} <= set(PHONE_VISEMES)
    for visemes in PHONE_VISEMES.values():
        assert set(visemes) <= set(VISEMES)


def test_viseme_targets_have_the_right_character() -> None:
    t = viseme_table()
    pp, ff, th, aa, ou, e, ih = (t[v] for v in ("PP", "FF", "TH", "aa", "ou", "E", "ih"))
    # p/b/m: lips sealed, jaw nearly closed
    assert pp.weight("mouthClose") >= pp.weight("jawOpen") and pp.weight("jawOpen") <= 0.06
    assert pp.weight("mouthPressLeft") >= 0.3
    # f/v: lower lip rolled to the upper teeth
    assert ff.weight("mouthRollLower") >= 0.4
    # th: tongue shows a little
    assert 0.1 <= th.weight("tongueOut") <= 0.5
    # aa is the most open; oo/w round; E and ih spread
    assert aa.weight("jawOpen") == max(s.weight("jawOpen") for s in t.values())
    assert ou.weight("mouthPucker") >= 0.5 and ou.weight("mouthFunnel") >= 0.2
    assert e.weight("mouthStretchLeft") >= 0.2 and ih.weight("mouthStretchLeft") >= 0.2


def test_phones_to_visemes_splits_diphthongs_and_keeps_closures() -> None:
    phones = [PhonemeSegment("AY", 0.0, 0.2), PhonemeSegment("M", 0.2, 0.26),
              PhonemeSegment("M", 0.26, 0.3), PhonemeSegment("T", 0.3, 0.35),
              PhonemeSegment("D", 0.35, 0.4)]  # fmt: skip
    vis = phones_to_visemes(phones)
    assert [v.viseme for v in vis] == ["aa", "ih", "PP", "PP", "DD"]
    assert vis[0].end == pytest.approx(0.11)
    assert vis[-1].start == pytest.approx(0.3) and vis[-1].end == pytest.approx(0.4)


# --- coarticulation -------------------------------------------------------------------------

SENTENCES = [
    "AA:120 M:40 AA:120 P:30 AA:100 B:35 IY:90",  # fast bilabials between open vowels
    "HH:50 AH:60 M:70 B:50 AH:80 L:60 IY:120",  # "humbly": m + b in a row
    "P:50 IY:80 T:40 ER:90 P:45 AY:110 P:40 ER:80",  # "peter piper"
    "S:90 T:50 UW:150 P:60 IH:60 D:50",  # "stupid"
    "AA:40 M:25 AA:40 M:25 AA:40 M:25 AA:40",  # very fast "mamama"
]


@pytest.mark.parametrize("fps", [24, 30, 60])
@pytest.mark.parametrize("spec", SENTENCES)
def test_every_bilabial_reaches_closure(spec: str, fps: int) -> None:
    phones = seq(spec)
    curves = coarticulate(phones, times_for(phones, fps))
    bilabials = [p for p in phones if p.phone in ("P", "B", "M")]
    assert bilabials
    for p in bilabials:
        # The lips touch on the mesh (within the phone, give or take half a frame) and are
        # never pushed through each other.
        during = np.arange(p.start - 0.5 / fps, p.end + 0.5 / fps, 0.001)
        gaps = [gap_at(curves, t) for t in during]
        assert min(gaps) <= CONTACT_MM and min(gaps) >= -3.0, (p, fps)
        shut = int(np.argmin(gaps))
        assert sample(curves, "jawOpen", during[shut]) <= CLOSURE_JAW_MAX + 0.02, (p, fps)
        assert sample(curves, "mouthPressLeft", during[shut]) >= 0.25, (p, fps)


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_curves_are_smooth_and_in_range(fps: int) -> None:
    phones = seq(" ".join(SENTENCES[:-1]))  # the last one is faster than anyone speaks
    t = times_for(phones, fps)
    curves = coarticulate(phones, t, jaw_gain=np.full(t.size, 1.25))
    w = curves.weights
    assert w.dtype == np.float32 and w.shape[1] == 52
    assert w.min() >= 0.0 and w.max() <= 1.0
    assert curves.activity.min() >= 0.0 and curves.activity.max() <= 1.0
    jump = np.abs(np.diff(w[:, MOUTH], axis=0)).max()
    # Physical limit: lips and jaw move at most ~12 units/s; a 30 fps frame may show 0.4.
    assert jump <= 12.0 / fps + 0.05, jump
    assert not np.any(w[:, ~MOUTH]), "visemes only move the mouth"


def test_shapes_are_not_held_steps() -> None:
    phones = seq("AA:400")
    curves = coarticulate(phones, times_for(phones, 30))
    jaw = curves.weights[:, ARKIT_INDEX["jawOpen"]]
    # The jaw eases open and closed over several frames instead of jumping.
    rising = np.flatnonzero((jaw > 0.1 * jaw.max()) & (jaw < 0.9 * jaw.max()))
    assert rising.size >= 4


def test_short_phones_are_not_lost() -> None:
    table = viseme_table()
    phones = seq("T:60 AA:40 T:60 IY:40 K:60 UW:40 K:60")
    curves = coarticulate(phones, times_for(phones, 30))
    aa, iy, uw = (p for p in phones if p.phone in ("AA", "IY", "UW"))

    def mid(p: PhonemeSegment) -> float:
        return 0.5 * (p.start + p.end)

    # A 40 ms vowel (barely more than one frame at 30 fps) still shows a good share of its
    # shape (less where a neighbour's anticipation pulls, as "ee" next to a rounded "oo").
    assert sample(curves, "jawOpen", mid(aa)) >= 0.5 * table["aa"].weight("jawOpen")
    assert sample(curves, "mouthStretchLeft", mid(iy)) >= 0.4 * table["ih"].weight(
        "mouthStretchLeft"
    )
    assert sample(curves, "mouthPucker", mid(uw)) >= 0.5 * table["ou"].weight("mouthPucker")
    # Between two forced closures a short vowel still opens the mouth (at a frame rate that can
    # show it), and each closure still closes.
    phones = seq("M:60 AA:40 M:60")
    curves = coarticulate(phones, times_for(phones, 60))
    assert sample(curves, "jawOpen", mid(phones[2])) >= 0.2
    assert gap_at(curves, mid(phones[2])) >= 3.0
    for m in (phones[1], phones[3]):
        assert gap_at(curves, mid(m)) <= CONTACT_MM


def test_rounding_is_anticipated() -> None:
    phones = seq("S:100 T:80 UW:200")
    curves = coarticulate(phones, times_for(phones, 60))
    uw = phones[3]
    before = sample(curves, "mouthPucker", uw.start - 0.04)
    assert before >= 0.2, "lips start rounding during the consonants before the vowel"
    assert sample(curves, "mouthPucker", phones[1].start - 0.1) < 0.05


def test_loud_speech_opens_the_jaw_more() -> None:
    phones = seq("AA:200 T:60 AA:200")
    t = times_for(phones, 30)
    quiet = coarticulate(phones, t, jaw_gain=np.full(t.size, 0.8))
    loud = coarticulate(phones, t, jaw_gain=np.full(t.size, 1.2))
    mid = 0.5 * (phones[1].start + phones[1].end)
    q, lo = sample(quiet, "jawOpen", mid), sample(loud, "jawOpen", mid)
    assert lo > q * 1.3
    # ...but closures still close
    phones = seq("AA:200 M:60 AA:200")
    t = times_for(phones, 30)
    loud = coarticulate(phones, t, jaw_gain=np.full(t.size, 1.25))
    m = phones[2]
    assert gap_at(loud, 0.5 * (m.start + m.end)) <= CONTACT_MM


def test_silence_rests_and_activity_follows_speech() -> None:
    phones = seq("AA:300", start=1.0)
    curves = coarticulate(phones, times_for(phones, 30))
    assert np.abs(curves.weights[:10]).max() < 0.01
    assert curves.activity[:10].max() < 0.05
    assert sample(curves, "jawOpen", 1.15) > 0.4
    assert float(np.interp(1.15, curves.times, curves.activity)) > 0.9


def test_anticipation_control_moves_the_mouth_earlier_or_later() -> None:
    phones = seq("S:100 T:80 UW:200")
    t = times_for(phones, 60)
    uw = phones[3]
    early = [
        sample(coarticulate(phones, t, anticipation=a), "mouthPucker", uw.start - 0.06)
        for a in (0.0, 1.0, 2.0)
    ]
    assert early[0] < 0.5 * early[1] and early[2] > early[1]
    with pytest.raises(ValueError, match="anticipation"):
        coarticulate(phones, t, anticipation=3.0)


def test_viseme_shares_follow_the_phones_and_hold_pp_through_closures() -> None:
    phones = [PhonemeSegment("SIL", 0.0, 0.2), PhonemeSegment("AA", 0.2, 0.45),
              PhonemeSegment("M", 0.45, 0.53), PhonemeSegment("UW", 0.53, 0.8),
              PhonemeSegment("SIL", 0.8, 1.1)]
    times = np.arange(33) / 30
    lip = coarticulate(phones, times)
    assert lip.visemes is not None and lip.visemes.shape == (33, len(VISEMES))
    col = {v: i for i, v in enumerate(VISEMES)}
    at = {t: int(round(t * 30)) for t in (0.05, 0.33, 0.49, 0.7)}
    assert lip.visemes[at[0.05]].argmax() == col["sil"]
    assert lip.visemes[at[0.33]].argmax() == col["aa"]
    assert lip.visemes[at[0.49], col["PP"]] > 0.95
    assert lip.visemes[at[0.7]].argmax() == col["ou"]
    assert np.all(lip.visemes.sum(axis=1) <= 1.0 + 1e-5)
