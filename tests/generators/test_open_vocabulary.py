"""Open vocabulary: unknown words read by meaning with the sentence encoder."""

from __future__ import annotations

import pytest

from generators.emotion.open_vocabulary import closest_emotion_word
from generators.emotion.parse import parse_prompt
from generators.emotion.table import get_emotion_table
from generators.emotion.vocabulary_cache import cached_embeddings
from generators.errors import PromptError


def family(prompt: str) -> str:
    return get_emotion_table().dominant_family(parse_prompt(prompt).mixture)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("cheery", "happiness"), ("sorrowing", "sadness"), ("ireful", "anger")],
)
def test_unknown_words_are_read_by_meaning(word: str, expected: str) -> None:
    from generators.emotion.lexicon import get_lexicon

    assert word not in get_lexicon().words
    state = parse_prompt(word)
    assert family(word) == expected
    assert "read by meaning" in state.notes[0]


def test_modifiers_apply_to_words_read_by_meaning() -> None:
    assert parse_prompt("slightly mournful").intensity < parse_prompt("mournful").intensity


@pytest.mark.parametrize("junk", ["banana", "keyboard", "xyzzy", "qwerty"])
def test_everyday_words_are_not_emotions(junk: str) -> None:
    assert closest_emotion_word(junk) is None
    with pytest.raises(PromptError, match=f"unknown emotion '{junk}'"):
        parse_prompt(junk)


def test_known_words_never_reach_the_encoder() -> None:
    assert parse_prompt("furious").notes == ()


def test_embedding_cache_is_reused_and_rebuilt(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AFFECT_STUDIO_CACHE", str(tmp_path))

    class Counting:
        folder = tmp_path
        calls = 0

        def encode(self, texts):
            import numpy as np

            Counting.calls += 1
            return np.ones((len(texts), 4), dtype=np.float32)

    enc = Counting()
    first = cached_embeddings(enc, ["a", "b"])
    second = cached_embeddings(enc, ["a", "b"])
    assert Counting.calls == 1 and (first == second).all()
    (cache,) = tmp_path.glob("vocabulary-*.npy")
    cache.write_bytes(b"not an array")
    cached_embeddings(enc, ["a", "b"])
    assert Counting.calls == 2  # a broken cache file is rebuilt
    cached_embeddings(enc, ["a", "b", "c"])
    assert Counting.calls == 3  # other texts, other cache entry
    import numpy as np

    for broken in (b"", None, np.zeros((2, 3)), np.array([["x", "y"], ["z", "w"]])):
        if broken is None:
            with cache.open("wb") as f:
                np.savez(f, a=np.ones(2))  # a zip archive under the .npy name
        elif isinstance(broken, bytes):
            cache.write_bytes(broken)
        else:
            with cache.open("wb") as f:
                np.save(f, broken)
        before = Counting.calls
        Counting.dimension = 4
        out = cached_embeddings(enc, ["a", "b"])
        assert out.shape == (2, 4) and Counting.calls == before + 1  # rebuilt, never raised


def test_voters_whose_mix_holds_the_reading_keep_their_valence() -> None:
    # "sadly disgusted" (sadness and disgust) and "tiredness" vote: the reading's dominant basic
    # emotion is a share of each voter's mix, never the single strongest of every one, and the
    # voters all feel bad, so the reading must too (it once came out with zero valence).
    import numpy as np

    from generators.emotion.lexicon import get_lexicon
    from generators.emotion.open_vocabulary import vote

    words = get_lexicon().words
    entries = [words["nauseated"], words["sickened"], words["tiredness"]]
    assert all(e.vad[0] < -0.5 for e in entries)
    reading = vote("nauseous", np.array([0.81, 0.65, 0.63]), entries)
    assert reading.entry.vad[0] < -0.5
    assert parse_prompt("nauseous").valence < -0.3


def test_several_unknown_words_are_read_in_one_encoder_call() -> None:
    from generators.emotion.open_vocabulary import closest_emotion_words, get_vocabulary

    known = get_vocabulary()
    known._memo.clear()  # earlier tests read these words: embed them afresh
    encoder = known.encoder
    calls: list[int] = []
    original = encoder.encode

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return original(texts)

    encoder.encode = counting  # type: ignore[method-assign]
    try:
        found = closest_emotion_words(["ireful", "banana", "悲しい", "sorrowing"])
    finally:
        encoder.encode = original  # type: ignore[method-assign]
    assert calls == [3]  # the word in another script is not encoded at all
    assert found[1] is None and found[2] is None
    assert found[0] is not None and found[3] is not None
    alone = closest_emotion_word("ireful")
    assert alone is not None and found[0].entry.vad == pytest.approx(alone.entry.vad, abs=1e-6)


def test_a_prompt_read_again_costs_no_encoder_call() -> None:
    from generators.emotion.open_vocabulary import get_vocabulary

    parse_prompt("sorrowing")
    encoder = get_vocabulary().encoder
    original = encoder.encode
    encoder.encode = None  # type: ignore[assignment,method-assign]
    try:
        assert family("sorrowing") == "sadness"
    finally:
        encoder.encode = original  # type: ignore[method-assign]


def test_the_embedding_memo_keeps_the_most_recently_used_and_never_loses_an_answer(
        monkeypatch) -> None:
    import numpy as np

    import generators.emotion.open_vocabulary as ov

    known = ov.get_vocabulary()
    monkeypatch.setattr(ov, "_MEMO_SIZE", 4)
    known._memo.clear()
    texts = [f"word number {n}" for n in range(6)]
    first = known.embed(texts)  # more texts than the memo holds: all answered
    assert first.shape == (6, known.vectors.shape[1]) and len(known._memo) == 4
    again = known.embed([texts[2], "a new text"])  # the oldest kept, and one to embed
    assert np.allclose(again[0], first[2], atol=1e-6)
    assert "a new text" in known._memo and texts[2] in known._memo
