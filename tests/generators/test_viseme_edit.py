"""Hand corrections of the viseme timeline: the pure edit operations and their checks."""

from __future__ import annotations

import math

import pytest

from generators.errors import GeneratorError
from generators.take import PhonemeSegment, VisemeSegment, VisemeTrack
from generators.viseme_edit import (
    INSERT_S,
    MAX_SEGMENTS,
    STEP_S,
    VISEME_DESCRIPTIONS,
    VisemeEditError,
    analysed_timeline,
    changed_mask,
    changed_spans,
    complete_timeline,
    delete_segment,
    edited_mask,
    insert_viseme,
    move_boundary,
    nearest_boundary,
    segment_index_at,
    set_viseme,
    validate_timeline,
)

V = VisemeSegment
TL = (V("sil", 0.0, 0.2), V("aa", 0.2, 0.5), V("PP", 0.5, 0.58), V("ou", 0.58, 0.8),
      V("sil", 0.8, 1.25))  # fmt: skip


def spans(tl):
    return [(s.viseme, round(s.start, 6), round(s.end, 6)) for s in tl]


def assert_contiguous(tl, duration=1.25):
    assert tl[0].start == 0.0
    assert tl[-1].end == pytest.approx(duration, abs=1e-12)
    for a, b in zip(tl, tl[1:], strict=False):
        assert a.end == b.start
        assert b.end > b.start


# ---------------------------------------------------------------------------- move a boundary


def test_move_boundary_snaps_to_the_grid_and_keeps_the_neighbours_contiguous():
    out = move_boundary(TL, 1, 0.2637)
    assert spans(out)[:2] == [("sil", 0.0, 0.26), ("aa", 0.26, 0.5)]
    assert out[2:] == TL[2:]
    assert_contiguous(out)


@pytest.mark.parametrize(("t", "expected"), [(-5.0, STEP_S), (0.0, STEP_S), (0.499, 0.49),
                                             (3.0, 0.49)])  # fmt: skip
def test_move_boundary_is_clamped_to_one_step_inside_the_neighbours(t, expected):
    out = move_boundary(TL, 1, t)
    assert out[1].start == pytest.approx(expected)
    assert min(s.end - s.start for s in out) >= STEP_S - 1e-12
    assert_contiguous(out)


def test_move_boundary_between_two_slivers_leaves_the_timeline_unchanged():
    tl = (V("sil", 0.0, 0.005), V("PP", 0.005, 0.012), V("aa", 0.012, 1.0))
    assert move_boundary(tl, 1, 0.5) == tl


@pytest.mark.parametrize("boundary", [0, 5, -1, 1.5, True, "1"])
def test_move_boundary_rejects_a_boundary_that_is_not_inside(boundary):
    with pytest.raises(VisemeEditError, match="no viseme boundary"):
        move_boundary(TL, boundary, 0.3)


@pytest.mark.parametrize("t", [math.nan, math.inf, "0.3", None])
def test_move_boundary_rejects_a_time_that_is_not_a_number(t):
    with pytest.raises(VisemeEditError, match="boundary time"):
        move_boundary(TL, 1, t)


def test_nearest_boundary_and_segment_at():
    assert nearest_boundary(TL, 0.49) == 2
    assert nearest_boundary(TL, 0.57) == 3
    assert nearest_boundary(TL, 0.35, max_distance=0.05) is None
    assert nearest_boundary(TL[:1], 0.1) is None
    assert segment_index_at(TL, 0.5) == 2  # on a boundary: the segment that starts there
    assert segment_index_at(TL, -1.0) == 0 and segment_index_at(TL, 9.0) == len(TL) - 1


# ---------------------------------------------------------------------------- change


def test_change_viseme_keeps_the_timing():
    out = set_viseme(TL, 1, "PP")
    assert spans(out)[1] == ("PP", 0.2, 0.5)
    assert out[:1] == TL[:1] and out[2:] == TL[2:]


@pytest.mark.parametrize("label", ["xx", "pp", "", None, 3, "SIL"])
def test_change_viseme_rejects_unknown_labels_with_one_line(label):
    with pytest.raises(VisemeEditError) as info:
        set_viseme(TL, 1, label)
    message = str(info.value)
    assert "unknown viseme" in message and "sil PP FF" in message and "\n" not in message
    assert isinstance(info.value, GeneratorError)


@pytest.mark.parametrize("index", [-1, 5, 99, None, 1.0])
def test_change_viseme_rejects_bad_indices(index):
    with pytest.raises(VisemeEditError, match="no viseme segment"):
        set_viseme(TL, index, "PP")


def test_every_viseme_has_a_description():
    from generators.rig.visemes import VISEMES

    assert set(VISEME_DESCRIPTIONS) == set(VISEMES)
    assert VISEME_DESCRIPTIONS["PP"] == "p b m"


# ---------------------------------------------------------------------------- delete


def test_delete_gives_the_time_to_both_neighbours_meeting_at_its_centre():
    out = delete_segment(TL, 2)  # the PP between aa and ou
    assert spans(out) == [("sil", 0.0, 0.2), ("aa", 0.2, 0.54), ("ou", 0.54, 0.8),
                          ("sil", 0.8, 1.25)]  # fmt: skip
    assert_contiguous(out)


def test_delete_merges_equal_neighbours_but_never_two_closures():
    tl = (V("sil", 0, 0.2), V("aa", 0.2, 0.4), V("PP", 0.4, 0.5), V("aa", 0.5, 0.7),
          V("sil", 0.7, 1.0))  # fmt: skip
    assert spans(delete_segment(tl, 2)) == [("sil", 0, 0.2), ("aa", 0.2, 0.7), ("sil", 0.7, 1.0)]
    closures = (V("PP", 0, 0.1), V("aa", 0.1, 0.2), V("PP", 0.2, 0.3))
    out = delete_segment(closures, 1)
    assert [s.viseme for s in out] == ["PP", "PP"] and out[0].end == pytest.approx(0.15)


def test_delete_at_either_end_gives_the_time_to_the_one_neighbour():
    assert spans(delete_segment(TL, 0))[0] == ("aa", 0.0, 0.5)
    assert spans(delete_segment(TL, 4))[-1] == ("ou", 0.58, 1.25)


def test_deleting_the_only_segment_leaves_silence():
    assert delete_segment((V("aa", 0, 1.0),), 0) == (V("sil", 0, 1.0),)


def test_delete_rejects_bad_indices():
    with pytest.raises(VisemeEditError, match="the timeline has 5 segments"):
        delete_segment(TL, 5)


# ---------------------------------------------------------------------------- insert


def test_insert_splits_the_segment_with_a_default_length_centred_on_the_time():
    out = insert_viseme(TL, 0.35, "PP")
    assert spans(out)[1:4] == [("aa", 0.2, 0.31), ("PP", 0.31, 0.39), ("aa", 0.39, 0.5)]
    assert out[2].end - out[2].start == pytest.approx(INSERT_S)
    assert_contiguous(out)


def test_insert_near_a_boundary_trims_the_neighbour_but_never_swallows_it():
    # PP runs 0.50..0.58: an FF centred near its start reaches into aa, near its end into ou
    out = insert_viseme(TL, 0.52, "FF")
    assert spans(out)[1:5] == [("aa", 0.2, 0.48), ("FF", 0.48, 0.56), ("PP", 0.56, 0.58),
                               ("ou", 0.58, 0.8)]  # fmt: skip
    out = insert_viseme(TL, 0.57, "FF")
    assert spans(out)[2:5] == [("PP", 0.5, 0.53), ("FF", 0.53, 0.61), ("ou", 0.61, 0.8)]
    out = insert_viseme((V("sil", 0, 0.2), V("PP", 0.2, 0.23), V("aa", 0.23, 1.0)), 0.2, "E")
    assert spans(out) == [("sil", 0, 0.16), ("E", 0.16, 0.24), ("aa", 0.24, 1.0)]  # PP covered
    tight = (V("sil", 0, 0.2), V("DD", 0.2, 0.215), V("PP", 0.215, 0.23), V("aa", 0.23, 1.0))
    out = insert_viseme(tight, 0.22, "E")
    assert [s.viseme for s in out] == ["sil", "DD", "E", "aa"]  # the sliver PP joins E
    assert min(s.end - s.start for s in out) >= STEP_S - 1e-12
    assert_contiguous(out, 1.0)


def test_insert_at_the_clip_edges_stays_inside_the_clip():
    start = insert_viseme(TL, 0.0, "PP")
    assert spans(start)[:2] == [("PP", 0.0, 0.04), ("sil", 0.04, 0.2)]
    end = insert_viseme(TL, 1.25, "PP")
    assert spans(end)[-2:] == [("sil", 0.8, 1.21), ("PP", 1.21, 1.25)]
    assert_contiguous(start) and assert_contiguous(end)


def test_insert_rejects_bad_input():
    with pytest.raises(VisemeEditError, match="unknown viseme"):
        insert_viseme(TL, 0.3, "zz")
    with pytest.raises(VisemeEditError, match="at least"):
        insert_viseme(TL, 0.3, "PP", length=0.001)
    with pytest.raises(VisemeEditError, match="empty"):
        insert_viseme((), 0.3, "PP")
    with pytest.raises(VisemeEditError, match="time"):
        insert_viseme(TL, math.nan, "PP")


# ---------------------------------------------------------------------------- whole timelines


def test_validate_closes_tiny_gaps_and_pins_the_ends():
    tl = (V("sil", 0.0004, 0.2), V("aa", 0.2003, 0.5), V("sil", 0.5, 0.9996))
    out = validate_timeline(tl, 1.0)
    assert out[0].start == 0.0 and out[1].start == out[0].end and out[-1].end == 1.0


@pytest.mark.parametrize(
    ("timeline", "needle"),
    [
        ((), "empty"),
        ((V("sil", 0, 0.5),), "ends at 0.5 s but the clip is 1 s long"),
        ((V("sil", 0, 0.5), V("aa", 0.6, 1.0)), "not at where viseme 0 ends"),
        ((V("sil", 0.1, 1.0),), "not at the clip start"),
        ((V("sil", 0, 0.5), V("aa", 0.5, 0.5), V("sil", 0.5, 1.0)), "must end after"),
        ((V("sil", 0, 0.5), V("xx", 0.5, 1.0)), "unknown viseme 'xx'"),
        ((V("sil", 0, math.nan),), "finite"),
        (((0, 0.5),), "not a viseme segment"),
    ],
)
def test_validate_names_the_first_problem_in_one_line(timeline, needle):
    with pytest.raises(VisemeEditError, match=needle.replace("(", r"\(")) as info:
        validate_timeline(timeline, 1.0)
    assert "\n" not in str(info.value)


def test_validate_bounds_the_segment_count():
    many = tuple(V("sil", i, i + 1) for i in range(MAX_SEGMENTS + 1))
    with pytest.raises(VisemeEditError, match="more than"):
        validate_timeline(many, float(MAX_SEGMENTS + 1))


def test_complete_fills_gaps_with_silence_and_covers_the_clip():
    analysed = [V("kk", 0.1, 0.2), V("aa", 0.2, 0.4), V("sil", 0.5, 0.9), V("E", 0.903, 0.95)]
    out = complete_timeline(analysed, 1.0)
    assert spans(out) == [("sil", 0.0, 0.1), ("kk", 0.1, 0.2), ("aa", 0.2, 0.4),
                          ("sil", 0.4, 0.5), ("sil", 0.5, 0.903), ("E", 0.903, 0.95),
                          ("sil", 0.95, 1.0)]  # fmt: skip
    validate_timeline(out, 1.0)
    assert spans(complete_timeline([V("aa", 0.0, 0.995)], 1.0)) == [("aa", 0.0, 1.0)]
    with pytest.raises(VisemeEditError, match="overlap"):
        complete_timeline([V("aa", 0.0, 0.5), V("E", 0.3, 1.0)], 1.0)


def test_changed_mask_and_spans_find_exactly_what_differs():
    edited = move_boundary(set_viseme(TL, 3, "oh"), 1, 0.25)
    assert changed_mask(edited, TL) == [True, True, False, True, False]
    assert changed_spans(edited, TL) == [(0.0, 0.5), (0.58, 0.8)]
    assert changed_spans(TL, TL) == []


def test_edited_mask_compares_with_the_phones_of_the_track():
    phones = [PhonemeSegment("SIL", 0, 0.2), PhonemeSegment("AA", 0.2, 0.5),
              PhonemeSegment("M", 0.5, 0.58), PhonemeSegment("UW", 0.58, 0.8),
              PhonemeSegment("SIL", 0.8, 1.25)]  # fmt: skip
    track = VisemeTrack(phones, list(TL), "forced-alignment")
    assert analysed_timeline(track, 1.25) == TL
    assert edited_mask(track, 1.25) == [False] * 5  # not edited at all
    corrected = VisemeTrack(phones, list(set_viseme(TL, 1, "E")), edited=True)
    assert edited_mask(corrected, 1.25) == [False, True, False, False, False]
