"""Where the talking-head models come from: the config file, local folders, the HF cache."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from generators.errors import GeneratorError, ModelError, ModelMissingError
from generators.talking_head.checkpoints import hf_cache_folder, locate_models
from generators.talking_head.model_config import (
    CONFIG_ENV_VAR,
    DEFAULT_BASE_REPOS,
    MAX_CONFIG_BYTES,
    ModelConfigError,
    ModelSource,
    TalkingHeadModels,
    load_model_config,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMIT = "a" * 40
DEPTH = "lllyasviel/control_v11f1p_sd15_depth"
HF_VARS = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME",
           "XDG_CONFIG_HOME", CONFIG_ENV_VAR, "HF_HUB_OFFLINE")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No real HF cache or user config leaks into a test: HOME is an empty folder."""
    for name in HF_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


# --- fake model folders ---------------------------------------------------------------------


def write_safetensors(path: Path) -> Path:
    """A real (tiny) safetensors file: 8-byte little-endian header length, JSON, data."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    return path


def write_config(folder: Path, name: str = "config.json", class_name: str = "Model") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"_class_name": class_name}))


def diffusers_model(folder: Path, class_name: str, *, weights: str = "safetensors") -> Path:
    """A diffusers model folder: ``config.json`` and ``diffusion_pytorch_model.<weights>``."""
    write_config(folder, class_name=class_name)
    target = folder / f"diffusion_pytorch_model.{weights}"
    if weights.endswith("safetensors"):
        write_safetensors(target)
    else:
        target.write_bytes(b"\x80\x02pickle")
    return folder


def sd15_base(folder: Path, *, weights: str = "safetensors") -> Path:
    """An SD-1.5-layout base folder as ``save_pretrained`` writes it."""
    diffusers_model(folder / "unet", "UNet2DConditionModel", weights=weights)
    diffusers_model(folder / "vae", "AutoencoderKL", weights=weights)
    write_config(folder / "text_encoder", class_name="CLIPTextModel")
    write_safetensors(folder / "text_encoder" / "model.safetensors")
    (folder / "tokenizer").mkdir(parents=True)
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        (folder / "tokenizer" / name).write_text("{}")
    write_config(folder / "scheduler", "scheduler_config.json", "PNDMScheduler")
    return folder


def hf_repo(cache: Path, repo_id: str, build, *, commit: str = COMMIT,
            refs: bool = True) -> Path:
    """``repo_id`` in a hub-layout cache: files in ``blobs/``, symlinked from the snapshot."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    staging = repo / f"staging-{commit}"
    build(staging)
    snapshot = repo / "snapshots" / commit
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        blob = repo / "blobs" / f"{abs(hash(file.as_posix())):x}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        file.replace(blob)
        link = snapshot / file.relative_to(staging)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    shutil.rmtree(staging)
    if refs:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
    return snapshot


def controlnet(folder: Path, **kwargs: str) -> Path:
    return diffusers_model(folder, "ControlNetModel", **kwargs)


def write_toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def one_line_error(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# --- local folders and the config file ---------------------------------------------------------


def test_local_folders_named_in_the_config_are_found(tmp_path):
    base = sd15_base(tmp_path / "models" / "sd15")
    cn = controlnet(tmp_path / "models" / "depth")
    config = write_toml(tmp_path / "talking_head.toml",
                        f'[models]\nbase = "{base}"\ncontrolnet = "{cn}"\n')
    models = load_model_config(config)
    assert models.config_file == config and not models.allow_pickle
    paths = locate_models(models)
    assert paths.base == base
    assert paths.unet.folder == base / "unet"
    assert paths.unet.weights == base / "unet" / "diffusion_pytorch_model.safetensors"
    assert paths.unet.class_name == "UNet2DConditionModel" and paths.unet.variant is None
    assert paths.text_encoder.weights == base / "text_encoder" / "model.safetensors"
    assert paths.tokenizer.folder == base / "tokenizer" and paths.tokenizer.weights is None
    assert paths.scheduler.class_name == "PNDMScheduler"
    assert paths.vae.folder == base / "vae" and not paths.vae_override
    assert paths.controlnet.folder == cn and paths.controlnet.class_name == "ControlNetModel"
    assert paths.ip_adapter is None and not paths.uses_pickle


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    sd15_base(tmp_path / "models" / "sd15")
    controlnet(tmp_path / "cfg" / "depth")
    config = write_toml(tmp_path / "cfg" / "talking_head.toml",
                        '[models]\nbase = "../models/sd15"\ncontrolnet = "depth"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    paths = locate_models(load_model_config(config))
    assert paths.base.resolve() == (tmp_path / "models" / "sd15").resolve()
    assert paths.controlnet.folder == tmp_path / "cfg" / "depth"


def test_paths_and_strings_work_from_python(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    models = TalkingHeadModels(base=base, controlnet=str(controlnet(tmp_path / "cn")))
    assert models.base == ModelSource(folder=base)
    assert locate_models(models).controlnet.folder == tmp_path / "cn"


def test_a_tokenizer_json_alone_is_a_tokenizer(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    for name in ("vocab.json", "merges.txt"):
        (base / "tokenizer" / name).unlink()
    (base / "tokenizer" / "tokenizer.json").write_text("{}")  # what transformers 5 writes
    paths = locate_models(TalkingHeadModels(base=base, controlnet=controlnet(tmp_path / "cn")))
    assert paths.tokenizer.folder == base / "tokenizer"


def test_fp16_weights_are_used_only_when_they_are_the_only_ones(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    unet = base / "unet"
    (unet / "diffusion_pytorch_model.safetensors").rename(
        unet / "diffusion_pytorch_model.fp16.safetensors")
    write_safetensors(base / "vae" / "diffusion_pytorch_model.fp16.safetensors")
    paths = locate_models(TalkingHeadModels(base=base, controlnet=controlnet(tmp_path / "cn")))
    assert paths.unet.weights.name == "diffusion_pytorch_model.fp16.safetensors"
    assert paths.unet.variant == "fp16"
    assert paths.vae.weights.name == "diffusion_pytorch_model.safetensors"
    assert paths.vae.variant is None


def test_a_separate_or_tiny_vae_replaces_the_bases(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    for file in (base / "vae").iterdir():
        file.unlink()  # not needed when a VAE is named
    (base / "vae").rmdir()
    tiny = diffusers_model(tmp_path / "taesd", "AutoencoderTiny")
    paths = locate_models(TalkingHeadModels(base=base, controlnet=controlnet(tmp_path / "cn"),
                                            vae=tiny))
    assert paths.vae_override and paths.vae.folder == tiny
    assert paths.vae.class_name == "AutoencoderTiny"


def test_an_ip_adapter_folder_is_found(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    adapter = tmp_path / "IP-Adapter"
    write_safetensors(adapter / "models" / "ip-adapter_sd15.safetensors")
    write_config(adapter / "models" / "image_encoder", class_name="CLIPVisionModelWithProjection")
    write_safetensors(adapter / "models" / "image_encoder" / "model.safetensors")
    paths = locate_models(TalkingHeadModels(base=base, controlnet=controlnet(tmp_path / "cn"),
                                            ip_adapter=adapter))
    assert paths.ip_adapter is not None
    assert paths.ip_adapter.weights == adapter / "models" / "ip-adapter_sd15.safetensors"
    assert paths.ip_adapter.image_encoder.folder == adapter / "models" / "image_encoder"


# --- the Hugging Face cache ---------------------------------------------------------------------


def test_defaults_are_found_in_the_hf_cache_under_hf_home(tmp_path, monkeypatch):
    cache = tmp_path / "hf" / "hub"
    snapshot = hf_repo(cache, DEFAULT_BASE_REPOS[0], sd15_base)
    hf_repo(cache, DEFAULT_BASE_REPOS[0], lambda f: (f / "unet").mkdir(parents=True),
            commit="b" * 40, refs=False)  # an older, incomplete snapshot: refs/main wins
    cn = hf_repo(cache, DEPTH, controlnet)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    models = load_model_config(None)
    assert models.config_file is None
    paths = locate_models(models)
    assert paths.base == snapshot and paths.controlnet.folder == cn
    assert paths.unet.weights == snapshot / "unet" / "diffusion_pytorch_model.safetensors"
    assert paths.unet.weights.is_symlink()


def test_hf_hub_cache_wins_over_hf_home_and_the_second_base_name_is_tried(tmp_path,
                                                                           monkeypatch):
    cache = tmp_path / "hub-cache"
    snapshot = hf_repo(cache, "runwayml/stable-diffusion-v1-5", sd15_base)
    hf_repo(cache, DEPTH, controlnet)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert hf_cache_folder() == cache
    assert locate_models(TalkingHeadModels()).base == snapshot


def test_without_any_variable_the_cache_is_under_the_home_folder(tmp_path):
    assert hf_cache_folder() == tmp_path / "home" / ".cache" / "huggingface" / "hub"


def test_a_repo_id_in_the_config_file_is_looked_up_in_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    hf_repo(cache, "someone/my-sd15", sd15_base)
    cn = hf_repo(cache, "someone/depth", controlnet)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    config = write_toml(tmp_path / "th.toml",
                        '[models]\nbase = "someone/my-sd15"\ncontrolnet = "someone/depth"\n')
    assert locate_models(load_model_config(config)).controlnet.folder == cn


def test_a_cache_without_refs_main_uses_its_only_snapshot(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    snapshot = hf_repo(cache, DEFAULT_BASE_REPOS[0], sd15_base, refs=False)
    hf_repo(cache, DEPTH, controlnet)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert locate_models(TalkingHeadModels()).base == snapshot


def test_hf_hub_offline_changes_nothing(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    hf_repo(cache, DEFAULT_BASE_REPOS[0], sd15_base)
    hf_repo(cache, DEPTH, controlnet)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    online = locate_models(TalkingHeadModels())
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert locate_models(TalkingHeadModels()) == online


# --- one error naming everything ----------------------------------------------------------------


def test_every_missing_component_is_listed_in_one_line_with_where_it_was_looked_for(
        tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    base = sd15_base(tmp_path / "sd15")
    (base / "tokenizer" / "merges.txt").unlink()
    for file in (base / "unet").iterdir():
        file.unlink()
    (base / "unet").rmdir()
    for file in (base / "text_encoder").iterdir():
        file.unlink()
    config = write_toml(tmp_path / "talking_head.toml",
                        f'[models]\nbase = "{base}"\ncontrolnet = "{DEPTH}"\n'
                        'ip_adapter = "adapters/ip"\n')
    with pytest.raises(ModelMissingError) as excinfo:
        locate_models(load_model_config(config))
    message = one_line_error(excinfo)
    assert message.startswith("talking-head models missing: ")
    assert f"unet (no unet/ in {base})" in message
    assert (f"text_encoder (no config.json or model.safetensors in {base / 'text_encoder'})"
            in message)
    assert (f"tokenizer (no merges.txt and no tokenizer.json in {base / 'tokenizer'})"
            in message)
    assert (f"controlnet (looked in {tmp_path / DEPTH}, HF cache "
            f"{tmp_path / 'hub' / 'models--lllyasviel--control_v11f1p_sd15_depth'})" in message)
    assert (f"ip_adapter (looked in {tmp_path / 'adapters' / 'ip'}, HF cache "
            f"{tmp_path / 'hub' / 'models--adapters--ip'})" in message)  # ORG/NAME: a repo too
    assert "vae" not in message and "scheduler" not in message
    assert message.endswith(f"put them there or name the folders in {config} "
                            "([models] base = ..., controlnet = ...)")


def test_with_nothing_installed_the_error_names_the_default_repos_and_config(tmp_path):
    with pytest.raises(ModelMissingError) as excinfo:
        locate_models(load_model_config(None))
    message = one_line_error(excinfo)
    cache = tmp_path / "home" / ".cache" / "huggingface" / "hub"
    sd15, runwayml, depth = (cache / "models--stable-diffusion-v1-5--stable-diffusion-v1-5",
                             cache / "models--runwayml--stable-diffusion-v1-5",
                             cache / "models--lllyasviel--control_v11f1p_sd15_depth")
    assert (f"base (unet, vae, text_encoder, tokenizer, scheduler: looked in HF cache {sd15}, "
            f"HF cache {runwayml})") in message
    assert f"controlnet (looked in HF cache {depth})" in message
    assert str(tmp_path / "home" / ".config" / "affect-studio" / "talking_head.toml") in message


def test_pickle_checkpoints_are_refused_without_the_opt_in(tmp_path):
    base = sd15_base(tmp_path / "sd15", weights="bin")
    cn = controlnet(tmp_path / "cn")
    config = write_toml(tmp_path / "th.toml", f'[models]\nbase = "{base}"\ncontrolnet = "{cn}"\n')
    with pytest.raises(ModelError) as excinfo:
        locate_models(load_model_config(config))
    assert not isinstance(excinfo.value, ModelMissingError)
    message = one_line_error(excinfo)
    assert message.startswith("talking-head models refused: unet (only a pickle checkpoint, "
                              f"{base / 'unet' / 'diffusion_pytorch_model.bin'}), vae (")
    assert f"set allow_pickle = true under [models] in {config}" in message


def test_pickle_checkpoints_load_with_the_opt_in_and_safetensors_still_win(tmp_path):
    base = sd15_base(tmp_path / "sd15", weights="bin")
    write_safetensors(base / "vae" / "diffusion_pytorch_model.safetensors")
    cn = controlnet(tmp_path / "cn")
    config = write_toml(tmp_path / "th.toml", f'[models]\nbase = "{base}"\ncontrolnet = "{cn}"\n'
                                              "allow_pickle = true\n")
    models = load_model_config(config)
    assert models.allow_pickle
    paths = locate_models(models)
    assert paths.unet.weights == base / "unet" / "diffusion_pytorch_model.bin"
    assert paths.unet.is_pickle and paths.uses_pickle
    assert paths.vae.weights.suffix == ".safetensors"


def test_a_pickle_ip_adapter_is_refused(tmp_path):
    adapter = tmp_path / "ip"
    (adapter / "models").mkdir(parents=True)
    (adapter / "models" / "ip-adapter_sd15.bin").write_bytes(b"pickle")
    write_config(adapter / "models" / "image_encoder")
    write_safetensors(adapter / "models" / "image_encoder" / "model.safetensors")
    with pytest.raises(ModelError, match=r"refused: ip_adapter \(only a pickle checkpoint"):
        locate_models(TalkingHeadModels(base=sd15_base(tmp_path / "sd15"),
                                        controlnet=controlnet(tmp_path / "cn"),
                                        ip_adapter=adapter))


def test_broken_files_are_named(tmp_path):
    base = sd15_base(tmp_path / "sd15")
    (base / "unet" / "config.json").write_text("{not json")
    (base / "vae" / "diffusion_pytorch_model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n")
    (base / "scheduler" / "scheduler_config.json").write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(ModelError) as excinfo:
        locate_models(TalkingHeadModels(base=base, controlnet=controlnet(tmp_path / "cn")))
    message = one_line_error(excinfo)
    assert f"unet ({base / 'unet' / 'config.json'} is not valid JSON)" in message
    assert "is not a safetensors file, perhaps a Git LFS pointer" in message
    assert "scheduler_config.json is larger than 1024 KiB" in message
    assert message.endswith("download the broken files again")


def test_a_complete_later_place_beats_an_incomplete_earlier_one(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    hf_repo(cache, DEFAULT_BASE_REPOS[0], lambda f: (f / "unet").mkdir(parents=True))
    complete = hf_repo(cache, DEFAULT_BASE_REPOS[1], sd15_base)
    hf_repo(cache, DEPTH, controlnet)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert locate_models(TalkingHeadModels()).base == complete


# --- where the config file is found and what it may hold ----------------------------------------


def test_the_config_file_is_found_by_variable_then_user_config_folder(tmp_path, monkeypatch):
    assert load_model_config(None) == TalkingHeadModels()
    user = write_toml(tmp_path / "xdg" / "affect-studio" / "talking_head.toml",
                      '[models]\nbase = "user"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_model_config(None).config_file == user
    named = write_toml(tmp_path / "named.toml", '[models]\nbase = "named"\n')
    monkeypatch.setenv(CONFIG_ENV_VAR, str(named))
    assert load_model_config(None).base.folder == tmp_path / "named"
    explicit = write_toml(tmp_path / "explicit.toml", "")
    assert load_model_config(explicit).config_file == explicit


def test_the_home_config_folder_is_used_without_xdg(tmp_path):
    config = write_toml(tmp_path / "home" / ".config" / "affect-studio" / "talking_head.toml",
                        "[models]\nallow_pickle = true\n")
    models = load_model_config(None)
    assert models.config_file == config and models.allow_pickle
    assert models.base.repo_ids == DEFAULT_BASE_REPOS


@pytest.mark.parametrize("named_by_variable", [False, True])
def test_a_named_config_file_that_does_not_exist_is_an_error(tmp_path, monkeypatch,
                                                             named_by_variable):
    missing = tmp_path / "nope.toml"
    if named_by_variable:
        monkeypatch.setenv(CONFIG_ENV_VAR, str(missing))
    with pytest.raises(ModelConfigError) as excinfo:
        load_model_config(None if named_by_variable else missing)
    message = one_line_error(excinfo)
    assert message.startswith(f"talking-head config file not found: {missing}")
    assert (CONFIG_ENV_VAR in message) == named_by_variable


def test_an_oversized_config_file_is_refused_before_parsing(tmp_path):
    config = write_toml(tmp_path / "th.toml", "# " + "x" * MAX_CONFIG_BYTES + "\n")
    with pytest.raises(ModelConfigError) as excinfo:
        load_model_config(config)
    assert one_line_error(excinfo) == (f"{config} is larger than 64 KiB, too large for a "
                                       "talking-head config; keep only the [models] table")


@pytest.mark.parametrize(("text", "says"), [
    ("[models\nbase = 1\n", r"is not valid TOML \(.*line 1.*\); fix the file"),
    ('[models]\nbase = "a"\nbase = "b"\n', r"is not valid TOML"),
    ("models = 3\n", r": models must be a table \(\[models\] with base = \.\.\., "),
    ('[models]\ncontrolnett = "x"\n', r"unknown key 'controlnett' in \[models\]; use base, "),
    ('[models]\nallow_pickle = "yes"\n', r"allow_pickle must be true or false, not 'yes'"),
    ('[models]\nbase = ""\n', r"\[models\] base must name a folder or a Hugging Face repo id"),
])
def test_a_malformed_config_file_gives_one_line_naming_it(tmp_path, text, says):
    config = write_toml(tmp_path / "th.toml", text)
    with pytest.raises(ModelConfigError, match=says) as excinfo:
        load_model_config(config)
    assert one_line_error(excinfo).startswith(str(config))


def test_a_config_file_that_is_not_utf8_is_refused(tmp_path):
    config = tmp_path / "th.toml"
    config.write_bytes(b'[models]\nbase = "\xff"\n')
    with pytest.raises(ModelConfigError, match="is not UTF-8 text; save it as UTF-8 TOML"):
        load_model_config(config)


@pytest.mark.parametrize(("value", "kind"), [
    ("42", "int"), ("true", "bool"), ('["/a", "/b"]', "list"), ('{ folder = "/a" }', "dict"),
    ("2024-01-01", "date"),
])
@pytest.mark.parametrize("key", ["base", "controlnet", "vae", "ip_adapter"])
def test_places_that_are_not_strings_are_refused(tmp_path, key, value, kind):
    config = write_toml(tmp_path / "th.toml", f"[models]\n{key} = {value}\n")
    with pytest.raises(ModelConfigError) as excinfo:
        load_model_config(config)
    assert one_line_error(excinfo) == (
        f"{config}: [models] {key} must be a string (a folder or a Hugging Face repo id), "
        f"not {kind}; fix the file")


def test_config_errors_are_generator_errors():
    assert issubclass(ModelConfigError, GeneratorError)
    assert issubclass(ModelConfigError, ModelError)


# --- no torch, and the real loader accepts what is found ------------------------------------


def test_the_model_modules_import_without_torch():
    code = ("import sys, generators.talking_head.checkpoints, "
            "generators.talking_head.model_config; "
            "bad = sorted({'torch', 'diffusers', 'transformers', 'huggingface_hub'} "
            "& set(sys.modules)); print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_what_is_located_loads_with_the_real_loader(tmp_path):
    pytest.importorskip("diffusers", reason="the diffusion extra is installed by the test command")
    from generators.talking_head.loading import load_pipeline
    from tests.generators.tiny_talking_head import save_tiny_models

    save_tiny_models(tmp_path / "tiny")
    config = write_toml(tmp_path / "talking_head.toml",
                        '[models]\nbase = "tiny"\ncontrolnet = "tiny/controlnet"\n')
    paths = locate_models(load_model_config(config))
    pipeline = load_pipeline(paths.component_folders(), device="cpu")
    assert type(pipeline).__name__ == "TalkingHeadPipeline"
