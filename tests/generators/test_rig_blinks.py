"""Automatic blinks: realistic rate and shape, deterministic for a seed, drawn to pauses."""

from __future__ import annotations

import numpy as np

from generators.rig.blinks import Blink, blink_curves, plan_blinks


def test_blink_rate_is_realistic() -> None:
    rates = []
    for seed in range(20):
        blinks = plan_blinks(300.0, seed=seed)
        rates.append(len(blinks) / 5.0)  # per minute
        starts = np.array([b.start for b in blinks])
        gaps = np.diff(starts)
        singles = gaps[gaps > 0.5]  # double blinks come in quick pairs
        assert singles.min() >= 1.2
        assert np.median(singles) >= 2.0 and np.median(singles) <= 6.0
    # Conversational blink rate: roughly 12-26 per minute.
    assert 12 <= np.mean(rates) <= 26
    assert min(rates) >= 8 and max(rates) <= 32


def test_blinks_are_deterministic_for_a_seed() -> None:
    pauses = [(1.0, 1.5), (4.0, 4.8)]
    assert plan_blinks(30.0, seed=7, pauses=pauses) == plan_blinks(30.0, seed=7, pauses=pauses)
    assert plan_blinks(30.0, seed=7) != plan_blinks(30.0, seed=8)
    t = np.arange(900) / 30
    a = blink_curves(plan_blinks(30.0, seed=7), t)
    b = blink_curves(plan_blinks(30.0, seed=7), t)
    assert np.array_equal(a, b)


def test_blink_shape_is_fast_close_slow_open() -> None:
    for blink in plan_blinks(120.0, seed=1):
        assert 0.15 <= blink.duration <= 0.25
        assert blink.close < blink.open
        assert abs(blink.lag) <= 0.015
    blink = Blink(start=1.0, close=0.07, hold=0.03, open=0.12)
    t = np.arange(0.9, 1.4, 0.001)
    left = blink_curves([blink], t)[:, 0]
    assert left.max() == np.float32(1.0)
    closed = t[left >= 0.5]
    # Time above half-closed is around 100-150 ms; the closing half is quicker than the opening.
    assert 0.08 <= closed[-1] - closed[0] <= 0.16
    peak = t[np.argmax(left)]
    assert (closed[-1] - peak) > (peak - closed[0])


def test_both_eyes_blink_together_with_a_small_lag() -> None:
    t = np.arange(0, 60, 1 / 120)
    curves = blink_curves(plan_blinks(60.0, seed=3), t)
    left, right = curves[:, 0], curves[:, 1]
    assert np.corrcoef(left, right)[0, 1] > 0.8
    assert curves.min() >= 0.0 and curves.max() <= 1.0
    peaks_l = t[1:-1][(left[1:-1] > 0.8) & (left[1:-1] >= left[:-2]) & (left[1:-1] > left[2:])]
    for p in peaks_l:
        near = np.abs(t - p) < 0.03
        assert right[near].max() > 0.8


def test_blinks_prefer_pauses() -> None:
    pauses = [(s, s + 0.6) for s in np.arange(1.0, 300.0, 3.0)]  # 20 % of the time is pause
    hits = total = 0
    for seed in range(10):
        for b in plan_blinks(300.0, seed=seed, pauses=pauses):
            total += 1
            hits += any(s <= b.start < e for s, e in pauses)
    assert hits / total > 0.4


def test_rendered_blinks_are_visible_at_30_fps() -> None:
    t = np.arange(0, 60, 1 / 30)
    blinks = plan_blinks(60.0, seed=11)
    left = blink_curves(blinks, t)[:, 0]
    for b in blinks:
        window = (t >= b.start) & (t <= b.start + b.duration)
        assert left[window].max() >= 0.6, b
