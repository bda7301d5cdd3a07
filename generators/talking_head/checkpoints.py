"""Find the talking-head generator's model files on disk, or say exactly what is missing.

:func:`locate_models` turns the places of :class:`~.model_config.TalkingHeadModels` into the
folder and weights file of every component, checking all of them before answering: one
:class:`~generators.errors.ModelMissingError` (or :class:`~generators.errors.ModelError`)
lists every component that is missing, refused or broken, with where it was looked for, in
one line.

Nothing is downloaded and nothing is loaded: a place is a local folder or a repo in the
Hugging Face cache already on disk (the hub layout, ``models--ORG--NAME/snapshots/<commit>/``
with ``refs/main`` naming the commit, under ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
``~/.cache/huggingface/hub``). ``HF_HUB_OFFLINE`` needs no handling: this never goes online.

Weights are safetensors (``diffusion_pytorch_model.safetensors`` / ``model.safetensors``, a
sharded ``*.safetensors.index.json``, or the ``.fp16.safetensors`` variant when only that one
exists); a pickle checkpoint (``.bin``) is used only with ``allow_pickle``. A safetensors
file's header is checked (a few bytes read) so an unfetched Git LFS pointer or a truncated
download is named here rather than deep inside the loader; JSON configs are read with a size
cap. No torch or diffusers here.

Examples
--------
>>> import tempfile
>>> from generators.talking_head.model_config import TalkingHeadModels
>>> with tempfile.TemporaryDirectory() as empty:
...     locate_models(TalkingHeadModels(base=Path(empty), controlnet=Path(empty) / "cn"))
Traceback (most recent call last):
...
generators.errors.ModelMissingError: talking-head models missing: unet (no unet/ in ...
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generators.errors import ModelError, ModelMissingError
from generators.talking_head.component_folders import ComponentFolders
from generators.talking_head.model_config import (
    ModelSource,
    TalkingHeadModels,
    default_config_path,
)

__all__ = [
    "BASE_PARTS",
    "MAX_JSON_BYTES",
    "ComponentFiles",
    "IpAdapterFiles",
    "ModelPaths",
    "hf_cache_folder",
    "hf_snapshot",
    "locate_models",
]

MAX_JSON_BYTES = 1024 * 1024
"""Largest ``config.json`` / ``scheduler_config.json`` read, in bytes (real ones: a few kB)."""

MAX_SAFETENSORS_HEADER = 100_000_000
"""Largest safetensors JSON header accepted, in bytes."""

BASE_PARTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
"""The sub-folders of an SD-1.5-layout base."""

IP_ADAPTER_WEIGHTS = "ip-adapter_sd15"
"""The IP-Adapter weights' file stem, in ``models/`` of its folder."""

_DIFFUSERS = "diffusion_pytorch_model"
_TRANSFORMERS = ("model", "pytorch_model")  # safetensors stem, pickle stem
_PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl")


@dataclass(frozen=True)
class ComponentFiles:
    """One component on disk.

    Parameters
    ----------
    folder
        Its folder (as ``save_pretrained`` writes it).
    weights
        The weights file chosen (``None`` for the tokenizer and the scheduler): a
        ``.safetensors`` file, a sharded ``.safetensors.index.json``, or, when allowed, a pickle
        ``.bin``.
    class_name
        ``_class_name`` from its ``config.json`` (``"AutoencoderTiny"`` for a tiny VAE), if any.
    """

    folder: Path
    weights: Path | None = None
    class_name: str | None = None

    @property
    def variant(self) -> str | None:
        """``"fp16"`` for ``*.fp16.safetensors`` weights (diffusers' ``variant=``), else None.

        >>> ComponentFiles(Path("u"), Path("u/diffusion_pytorch_model.fp16.safetensors")).variant
        'fp16'
        """
        if self.weights is None:
            return None
        parts = self.weights.name.split(".")
        return "fp16" if "fp16" in parts[1:] else None

    @property
    def is_pickle(self) -> bool:
        """Whether the weights are a pickle checkpoint."""
        return self.weights is not None and self.weights.suffix in _PICKLE_SUFFIXES


@dataclass(frozen=True)
class IpAdapterFiles:
    """An IP-Adapter: its weights file and its CLIP image encoder."""

    weights: Path
    image_encoder: ComponentFiles


@dataclass(frozen=True)
class ModelPaths:
    """Every component of the talking-head pipeline, found and checked.

    ``vae`` is the VAE to load: the config's ``vae`` when it names one (``vae_override`` is
    then true, and its ``class_name`` may be ``"AutoencoderTiny"``), else the base's ``vae/``.
    """

    base: Path
    unet: ComponentFiles
    vae: ComponentFiles
    text_encoder: ComponentFiles
    tokenizer: ComponentFiles
    scheduler: ComponentFiles
    controlnet: ComponentFiles
    ip_adapter: IpAdapterFiles | None = None
    vae_override: bool = False
    scheduler_class: str | None = None

    @property
    def uses_pickle(self) -> bool:
        """Whether any chosen weights file is a pickle checkpoint."""
        parts = [self.unet, self.vae, self.text_encoder, self.controlnet]
        if self.ip_adapter is not None:
            parts.append(self.ip_adapter.image_encoder)
            if self.ip_adapter.weights.suffix in _PICKLE_SUFFIXES:
                return True
        return any(part.is_pickle for part in parts)

    def component_folders(self) -> ComponentFolders:
        """The folders :func:`generators.talking_head.loading.load_pipeline` loads from."""
        weighted = {"unet": self.unet, "controlnet": self.controlnet, "vae": self.vae,
                    "text_encoder": self.text_encoder}
        adapter = self.ip_adapter
        if adapter is not None:
            weighted["image_encoder"] = adapter.image_encoder
        return ComponentFolders(unet=self.unet.folder, controlnet=self.controlnet.folder,
                                vae=self.vae.folder, text_encoder=self.text_encoder.folder,
                                tokenizer=self.tokenizer.folder, scheduler=self.scheduler.folder,
                                variants={name: files.variant for name, files in weighted.items()
                                          if files.variant},
                                vae_class=self.vae.class_name,
                                ip_adapter_weights=None if adapter is None else adapter.weights,
                                image_encoder=(None if adapter is None
                                               else adapter.image_encoder.folder),
                                scheduler_class=self.scheduler_class)


@dataclass(frozen=True)
class _Problem:
    kind: str  # "missing", "refused" or "broken"
    text: str  # "unet (no unet/ in /models/sd15)"


class _Found:
    """Problems collected while checking, so that one error can name them all."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []
        self._files: tuple[str, Path, list[str]] | None = None  # the last missing_file

    def add(self, kind: str, name: str, detail: str) -> None:
        """Note that ``name`` is ``kind`` ("missing", "refused", "broken") because ``detail``."""
        self.problems.append(_Problem(kind, f"{name} ({detail})"))
        self._files = None

    def missing_file(self, name: str, file: str, folder: Path) -> None:
        """Note a missing file; two missing from one folder read "no A or B in FOLDER"."""
        files = [file]
        if self._files is not None and self._files[:2] == (name, folder):
            files = [*self._files[2], file]
            self.problems.pop()
        self.add("missing", name, f"no {' or '.join(files)} in {folder}")
        self._files = (name, folder, files)


def hf_cache_folder() -> Path:
    """The Hugging Face hub cache: ``$HF_HUB_CACHE``, else ``$HUGGINGFACE_HUB_CACHE``, else
    ``$HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else
    ``~/.cache/huggingface/hub`` (as ``huggingface_hub`` decides it)."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        value = os.environ.get(name, "").strip()
        if value:
            return _expanded(value)
    home = os.environ.get("HF_HOME", "").strip()
    if home:
        return _expanded(home) / "hub"
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = _expanded(cache) if cache else Path.home() / ".cache"
    return root / "huggingface" / "hub"


def hf_snapshot(repo_id: str, cache: Path | None = None) -> tuple[Path | None, Path]:
    """The snapshot folder of ``repo_id`` in the Hugging Face cache, and the repo's folder.

    The snapshot is the commit ``refs/main`` names, or the only snapshot when there is no
    ``refs/main``; ``None`` when the repo is not cached.

    Examples
    --------
    >>> hf_snapshot("org/name", Path("/nowhere"))
    (None, PosixPath('/nowhere/models--org--name'))
    """
    repo = (cache or hf_cache_folder()) / ("models--" + repo_id.replace("/", "--"))
    snapshots = repo / "snapshots"
    commit = _small_text(repo / "refs" / "main", 256)
    if commit and "/" not in commit and "\\" not in commit and commit not in (".", ".."):
        chosen = snapshots / commit
        return (chosen if chosen.is_dir() else None), repo
    try:
        found = [entry for entry in snapshots.iterdir() if entry.is_dir()]
    except OSError:
        return None, repo
    return (found[0] if len(found) == 1 else None), repo


def locate_models(models: TalkingHeadModels) -> ModelPaths:
    """The folder and weights file of every component ``models`` names, all checked.

    Parameters
    ----------
    models
        The places (from :func:`~.model_config.load_model_config`).

    Raises
    ------
    ModelMissingError
        Some component is missing: one line listing every missing (and refused or broken)
        component with where it was looked for, and what to do.
    ModelError
        Nothing is missing but some weights are pickle without ``allow_pickle``, or a file is
        broken (a JSON config that is not JSON, a safetensors file that is not one).
    """
    found = _Found()
    cache = hf_cache_folder()
    base, parts = _locate_base(models, cache, found)
    controlnet = _locate_model(models.controlnet, "controlnet", _DIFFUSERS, models, cache, found)
    vae_override = None
    if models.vae is not None:
        vae_override = _locate_model(models.vae, "vae", _DIFFUSERS, models, cache, found)
    ip_adapter = None
    if models.ip_adapter is not None:
        ip_adapter = _locate_ip_adapter(models.ip_adapter, models, cache, found)
    if found.problems:
        raise _error(found.problems, models)
    assert base is not None and controlnet is not None  # no problems: all found
    vae = vae_override or parts["vae"]
    return ModelPaths(base=base, unet=parts["unet"], vae=vae,
                      text_encoder=parts["text_encoder"], tokenizer=parts["tokenizer"],
                      scheduler=parts["scheduler"], controlnet=controlnet,
                      ip_adapter=ip_adapter, vae_override=vae_override is not None,
                      scheduler_class=models.scheduler)


# --- places ------------------------------------------------------------------------------------


def _candidates(source: ModelSource, cache: Path) -> tuple[list[Path], list[str]]:
    """The existing folders ``source`` may mean, in order, and every place looked at."""
    folders: list[Path] = []
    looked: list[str] = []
    if source.folder is not None:
        looked.append(str(source.folder))
        if source.folder.is_dir():
            folders.append(source.folder)
    for repo_id in source.repo_ids:
        snapshot, repo = hf_snapshot(repo_id, cache)
        looked.append(f"HF cache {repo}")
        if snapshot is not None:
            folders.append(snapshot)
    return folders, looked


def _first_complete(folders: Sequence[Path], check: Any, found: _Found) -> Any:
    """``check(folder, found)`` for the first folder with no problems; when every folder has
    some, the first folder's problems are kept (it is where the user meant)."""
    first: list[_Problem] | None = None
    for folder in folders:
        trial = _Found()
        result = check(folder, trial)
        if not trial.problems:
            return result
        if first is None:
            first = trial.problems
    found.problems.extend(first or [])
    return None


def _locate_base(models: TalkingHeadModels, cache: Path,
                 found: _Found) -> tuple[Path | None, dict[str, ComponentFiles]]:
    folders, looked = _candidates(models.base, cache)
    skip_vae = models.vae is not None
    if not folders:
        needed = ", ".join(name for name in BASE_PARTS if not (name == "vae" and skip_vae))
        found.add("missing", "base", f"{needed}: looked in " + ", ".join(looked))
        return None, {}

    def check(folder: Path, trial: _Found) -> tuple[Path, dict[str, ComponentFiles]]:
        parts = {name: _base_part(folder, name, models.allow_pickle, trial)
                 for name in BASE_PARTS if not (name == "vae" and skip_vae)}
        return folder, parts

    result = _first_complete(folders, check, found)
    return result if result is not None else (None, {})


def _base_part(base: Path, name: str, allow_pickle: bool, found: _Found) -> ComponentFiles:
    folder = base / name
    if not folder.is_dir():
        found.add("missing", name, f"no {name}/ in {base}")
        return ComponentFiles(folder)
    if name == "tokenizer":
        _tokenizer_files(folder, found)
        return ComponentFiles(folder)
    if name == "scheduler":
        config = _json_config(folder / "scheduler_config.json", name, found)
        return ComponentFiles(folder, class_name=_class_name(config))
    stems = _TRANSFORMERS if name == "text_encoder" else (_DIFFUSERS, _DIFFUSERS)
    return _weighted(folder, name, stems, allow_pickle, found)


def _tokenizer_files(folder: Path, found: _Found) -> None:
    """A CLIP tokenizer needs ``tokenizer.json`` (transformers 5 writes only that) or
    ``vocab.json`` and ``merges.txt`` (the SD-1.5 repos)."""
    if (folder / "tokenizer.json").is_file():
        return
    absent = [file for file in ("vocab.json", "merges.txt") if not (folder / file).is_file()]
    if absent:
        found.add("missing", "tokenizer",
                  f"no {' or '.join(absent)} and no tokenizer.json in {folder}")


def _locate_model(source: ModelSource, name: str, stem: str, models: TalkingHeadModels,
                  cache: Path, found: _Found) -> ComponentFiles | None:
    folders, looked = _candidates(source, cache)
    if not folders:
        found.add("missing", name, "looked in " + ", ".join(looked))
        return None
    return _first_complete(
        folders, lambda folder, trial: _weighted(folder, name, (stem, stem),
                                                 models.allow_pickle, trial), found)


def _locate_ip_adapter(source: ModelSource, models: TalkingHeadModels, cache: Path,
                       found: _Found) -> IpAdapterFiles | None:
    folders, looked = _candidates(source, cache)
    if not folders:
        found.add("missing", "ip_adapter", "looked in " + ", ".join(looked))
        return None

    def check(folder: Path, trial: _Found) -> IpAdapterFiles | None:
        inner = folder / "models" if (folder / "models").is_dir() else folder
        weights = _weights_file(inner, "ip_adapter", (IP_ADAPTER_WEIGHTS, IP_ADAPTER_WEIGHTS),
                                models.allow_pickle, trial, variants=False)
        encoder_folder = inner / "image_encoder"
        if not encoder_folder.is_dir():
            trial.add("missing", "ip_adapter image encoder", f"no image_encoder/ in {inner}")
            return None
        encoder = _weighted(encoder_folder, "ip_adapter image encoder", _TRANSFORMERS,
                            models.allow_pickle, trial)
        return IpAdapterFiles(weights, encoder) if weights is not None else None

    return _first_complete(folders, check, found)


# --- files ------------------------------------------------------------------------------------


def _weighted(folder: Path, name: str, stems: tuple[str, str], allow_pickle: bool,
              found: _Found) -> ComponentFiles:
    """A component with a ``config.json`` and weights in ``folder``."""
    config = _json_config(folder / "config.json", name, found)
    weights = _weights_file(folder, name, stems, allow_pickle, found)
    return ComponentFiles(folder, weights, _class_name(config))


def _weights_file(folder: Path, name: str, stems: tuple[str, str], allow_pickle: bool,
                  found: _Found, *, variants: bool = True) -> Path | None:
    """The weights in ``folder``: safetensors first, the fp16 variant only when it is the only
    one; pickle (``.bin``) only when allowed."""
    safe, pickled = stems
    names = [f"{safe}.safetensors", f"{safe}.safetensors.index.json"]
    pickles = [f"{pickled}.bin"]
    if variants:
        names.append(f"{safe}.fp16.safetensors")
        pickles.append(f"{pickled}.fp16.bin")
    for candidate in names:
        path = folder / candidate
        if path.is_file():
            return path if _safetensors_ok(path, name, found) else None
    for candidate in pickles:
        path = folder / candidate
        if path.is_file():
            if allow_pickle:
                return path
            found.add("refused", name, f"only a pickle checkpoint, {path}")
            return None
    found.missing_file(name, names[0], folder)
    return None


def _safetensors_ok(path: Path, name: str, found: _Found) -> bool:
    """Whether ``path`` starts like a safetensors file (an index file: like JSON)."""
    if path.name.endswith(".index.json"):
        return _json_config(path, name, found) is not None
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(9)
    except OSError as exc:
        found.add("broken", name, f"cannot read {path}: {exc.strerror or type(exc).__name__}")
        return False
    length = struct.unpack("<Q", head[:8])[0] if len(head) == 9 else 0
    if not (2 <= length <= MAX_SAFETENSORS_HEADER and 8 + length <= size and head[8:] == b"{"):
        hint = ", perhaps a Git LFS pointer" if head.startswith(b"version ") else ""
        found.add("broken", name, f"{path} is not a safetensors file{hint}")
        return False
    return True


def _json_config(path: Path, name: str, found: _Found) -> dict[str, Any] | None:
    """The JSON object in ``path`` (at most :data:`MAX_JSON_BYTES`), or ``None`` with the
    problem noted."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        found.missing_file(name, path.name, path.parent)
        return None
    except OSError as exc:
        found.add("broken", name, f"cannot read {path}: {exc.strerror or type(exc).__name__}")
        return None
    if len(data) > MAX_JSON_BYTES:
        found.add("broken", name, f"{path} is larger than {MAX_JSON_BYTES // 1024} KiB")
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        found.add("broken", name, f"{path} is not valid JSON")
        return None
    if not isinstance(value, dict):
        found.add("broken", name, f"{path} is not a JSON object")
        return None
    return value


def _class_name(config: dict[str, Any] | None) -> str | None:
    value = (config or {}).get("_class_name")
    return value if isinstance(value, str) else None


def _small_text(path: Path, limit: int) -> str:
    """The stripped text of a small file, or ``""`` when absent, unreadable or too long."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
        return data.decode("ascii").strip() if len(data) <= limit else ""
    except (OSError, UnicodeDecodeError):
        return ""


def _expanded(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser()


# --- the error ----------------------------------------------------------------------------------


def _error(problems: list[_Problem], models: TalkingHeadModels) -> ModelError:
    """One error naming every problem, then what to do about each kind."""
    config = models.config_file or default_config_path()
    sections, advice = [], []
    by_kind = {kind: [p.text for p in problems if p.kind == kind]
               for kind in ("missing", "refused", "broken")}
    if by_kind["missing"]:
        sections.append("missing: " + ", ".join(by_kind["missing"]))
        advice.append(f"put them there or name the folders in {config} ([models] base = ..., "
                      "controlnet = ...)")
    if by_kind["refused"]:
        sections.append("refused: " + ", ".join(by_kind["refused"]))
        advice.append(f"convert them to safetensors, or set allow_pickle = true under [models] "
                      f"in {config} if you trust the files (pickle can run code when loaded)")
    if by_kind["broken"]:
        sections.append("broken: " + ", ".join(by_kind["broken"]))
        advice.append("download the broken files again")
    message = "talking-head models " + "; ".join(sections) + "; " + "; ".join(advice)
    cls = ModelMissingError if by_kind["missing"] else ModelError
    return cls(message)

