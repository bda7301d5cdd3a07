"""Which model weights the talking-head generator uses: the ``talking_head.toml`` config file.

The generator runs a Stable-Diffusion-1.5-compatible pipeline: one SD-1.5-layout base folder
(``unet/``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``), a ControlNet, and
optionally a separate (or tiny) VAE and an IP-Adapter. Each is named in the ``[models]`` table::

    [models]
    base = "/models/sd15"                                  # a folder ...
    controlnet = "lllyasviel/control_v11f1p_sd15_depth"    # ... or a Hugging Face repo id
    vae = "vae-ft-mse"                       # optional; relative to this file's folder
    ip_adapter = "h94/IP-Adapter"            # optional: models/ip-adapter_sd15.safetensors
    scheduler = "LCMScheduler"               # optional: another sampler over the base's schedule
    allow_pickle = false                     # accept .bin checkpoints (pickle can run code)

A value is a folder (``~`` expands; a relative path is relative to the config file's folder);
one shaped like ``ORG/NAME`` is also a Hugging Face repo id, looked up in the local Hugging Face
cache when no such folder exists. Nothing is ever downloaded (:mod:`.checkpoints` only looks
at files already on disk), so ``HF_HUB_OFFLINE=1`` changes nothing here: the generator is
always offline.

Where the config file is found (the first that applies):

1. the path given to :func:`load_model_config` (``affect-studio render --models FILE``, a
   batch line's ``models``);
2. ``$AFFECT_STUDIO_TALKING_HEAD_CONFIG``;
3. ``talking_head.toml`` in the user's config folder, the one the batch presets use:
   ``$XDG_CONFIG_HOME/affect-studio/`` or else ``~/.config/affect-studio/``;
4. none: the defaults, the SD-1.5 base (``stable-diffusion-v1-5/stable-diffusion-v1-5``, then
   ``runwayml/stable-diffusion-v1-5``) and the depth ControlNet
   (``lllyasviel/control_v11f1p_sd15_depth``), both from the Hugging Face cache only.

The file is untrusted input: at most :data:`MAX_CONFIG_BYTES`, UTF-8 TOML, only known keys in
``[models]``, only strings for places; every problem is one line naming the file and what to fix.
No torch or diffusers here.

Examples
--------
>>> models = parse_model_config('[models]\\nbase = "sd15"\\n', Path("/cfg/talking_head.toml"))
>>> models.base.folder.as_posix(), models.base.repo_ids
('/cfg/sd15', ())
>>> models.controlnet.repo_ids
('lllyasviel/control_v11f1p_sd15_depth',)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generators.errors import ModelError

__all__ = [
    "CONFIG_ENV_VAR",
    "CONFIG_NAME",
    "DEFAULT_BASE_REPOS",
    "DEFAULT_CONTROLNET_REPOS",
    "MAX_CONFIG_BYTES",
    "ModelConfigError",
    "ModelSource",
    "TalkingHeadModels",
    "default_config_path",
    "load_model_config",
    "parse_model_config",
]

CONFIG_ENV_VAR = "AFFECT_STUDIO_TALKING_HEAD_CONFIG"
"""Environment variable naming the config file."""

CONFIG_NAME = "talking_head.toml"
"""The config file's name in the user's config folder."""

MAX_CONFIG_BYTES = 64 * 1024
"""Largest config file read, in bytes (a real one is a few hundred)."""

MAX_VALUE_CHARS = 4096
"""Longest place (folder or repo id) accepted in the config file."""

DEFAULT_BASE_REPOS = ("stable-diffusion-v1-5/stable-diffusion-v1-5",
                      "runwayml/stable-diffusion-v1-5")
"""The SD-1.5 base looked up in the Hugging Face cache when the config names none."""

DEFAULT_CONTROLNET_REPOS = ("lllyasviel/control_v11f1p_sd15_depth",)
"""The depth ControlNet looked up in the Hugging Face cache when the config names none."""

PLACE_KEYS = ("base", "controlnet", "vae", "ip_adapter")
"""Keys of ``[models]`` that name a place."""

SCHEDULERS = ("DDIMScheduler", "DPMSolverMultistepScheduler", "EulerAncestralDiscreteScheduler",
              "EulerDiscreteScheduler", "LCMScheduler", "PNDMScheduler", "TCDScheduler",
              "UniPCMultistepScheduler")
"""Samplers the ``scheduler`` key may name (diffusers classes that step one latent at a time):
``LCMScheduler`` / ``TCDScheduler`` for few-step (LCM- or Turbo-distilled) UNets."""

_KEYS = (*PLACE_KEYS, "scheduler", "allow_pickle")
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")


class ModelConfigError(ModelError):
    """The talking-head config file is missing, too large or malformed (one line: the file and
    what to fix)."""


@dataclass(frozen=True)
class ModelSource:
    """Where one model may be: a local folder, Hugging Face repos in the local cache, or both.

    The folder is tried first, then each repo id in order.

    Parameters
    ----------
    folder
        A local folder (absolute once parsed from a config file).
    repo_ids
        ``ORG/NAME`` repo ids, looked up in the Hugging Face cache only.

    Examples
    --------
    >>> ModelSource.parse("lllyasviel/sd-controlnet-depth", Path("/cfg")).repo_ids
    ('lllyasviel/sd-controlnet-depth',)
    >>> ModelSource.parse("/models/sd15").repo_ids
    ()
    """

    folder: Path | None = None
    repo_ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str, relative_to: Path | None = None) -> ModelSource:
        """The source a config value names: a folder (relative to ``relative_to``, or to the
        working folder), and the repo id as well when ``value`` is shaped ``ORG/NAME``."""
        folder = Path(value).expanduser()
        if not folder.is_absolute():
            folder = (relative_to or Path.cwd()) / folder
        repos = (value,) if _REPO_ID.fullmatch(value) and ".." not in value else ()
        return cls(folder=folder, repo_ids=repos)

    @classmethod
    def of(cls, value: ModelSource | Path | str) -> ModelSource:
        """``value`` as a source: a ``Path`` is a folder, a ``str`` is parsed."""
        if isinstance(value, ModelSource):
            return value
        if isinstance(value, Path):
            return cls(folder=value.expanduser())
        return cls.parse(value)


@dataclass(frozen=True)
class TalkingHeadModels:
    """The places of the talking-head generator's models (nothing checked yet: see
    :func:`generators.talking_head.checkpoints.locate_models`).

    Parameters
    ----------
    base
        The SD-1.5-layout base (UNet, VAE, text encoder, tokenizer, scheduler).
    controlnet
        The ControlNet (``config.json`` and weights).
    vae
        A VAE (or tiny VAE decoder) used instead of the base's; ``None`` for the base's.
    ip_adapter
        A folder with ``models/ip-adapter_sd15.safetensors`` and ``models/image_encoder/``;
        ``None`` for none.
    scheduler
        A sampler of :data:`SCHEDULERS` made from the base's scheduler config; ``None`` for the
        base's own.
    allow_pickle
        Accept pickle checkpoints (``.bin``): they can run code when loaded.
    config_file
        The config file these came from; ``None`` for the defaults (used in messages).

    ``Path`` or ``str`` values are turned into :class:`ModelSource` (see
    :meth:`ModelSource.of`).

    Examples
    --------
    >>> TalkingHeadModels(base=Path("/m/sd15"), controlnet=Path("/m/depth")).base.folder
    PosixPath('/m/sd15')
    """

    base: ModelSource = field(default_factory=lambda: ModelSource(repo_ids=DEFAULT_BASE_REPOS))
    controlnet: ModelSource = field(
        default_factory=lambda: ModelSource(repo_ids=DEFAULT_CONTROLNET_REPOS))
    vae: ModelSource | None = None
    ip_adapter: ModelSource | None = None
    scheduler: str | None = None
    allow_pickle: bool = False
    config_file: Path | None = None

    def __post_init__(self) -> None:
        for name in PLACE_KEYS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, ModelSource.of(value))


def default_config_path() -> Path:
    """Where the config file is looked for when none is named: ``$CONFIG_ENV_VAR`` if set, else
    ``talking_head.toml`` in ``$XDG_CONFIG_HOME/affect-studio`` or ``~/.config/affect-studio``.
    """
    explicit = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "affect-studio" / CONFIG_NAME


def load_model_config(path: Path | None = None) -> TalkingHeadModels:
    """The models named by the config file at ``path``, or found by the default lookup.

    Parameters
    ----------
    path
        The config file; ``None`` for ``$AFFECT_STUDIO_TALKING_HEAD_CONFIG``, then the user's
        ``talking_head.toml`` (see :func:`default_config_path`), then the defaults.

    Raises
    ------
    ModelConfigError
        A named file (``path`` or the variable) does not exist, or the file is too large,
        not UTF-8, not TOML, or has unknown keys or non-string places.
    """
    if path is None:
        path = default_config_path()
        named = bool(os.environ.get(CONFIG_ENV_VAR, "").strip())
        if not named and not path.exists():
            return TalkingHeadModels()
        source = f" (named by {CONFIG_ENV_VAR})" if named else ""
    else:
        path, source = Path(path).expanduser(), ""
    path = path.absolute()
    return parse_model_config(_read_bounded(path, source), path)


def parse_model_config(text: str, path: Path) -> TalkingHeadModels:
    """The models named by config ``text`` read from ``path`` (relative places resolve against
    ``path``'s folder).

    Raises
    ------
    ModelConfigError
        Not TOML, ``[models]`` not a table, an unknown key, or a value of the wrong type.

    Examples
    --------
    >>> parse_model_config('[models]\\nbase = 15\\n', Path("/cfg/th.toml"))
    Traceback (most recent call last):
    ...
    generators.talking_head.model_config.ModelConfigError: /cfg/th.toml: [models] base must be \
a string (a folder or a Hugging Face repo id), not int; fix the file
    """
    table = _models_table(_parse_toml(text, path), path)
    folder = path.parent
    places: dict[str, Any] = {}
    for name in PLACE_KEYS:
        if name in table:
            places[name] = ModelSource.parse(_place(table[name], name, path), folder)
    allow = table.get("allow_pickle", False)
    if not isinstance(allow, bool):
        raise ModelConfigError(f"{path}: [models] allow_pickle must be true or false, not "
                               f"{_shown(allow)}; fix the file")
    scheduler = table.get("scheduler")
    if scheduler is not None and scheduler not in SCHEDULERS:
        raise ModelConfigError(f"{path}: [models] scheduler must be one of "
                               f"{', '.join(SCHEDULERS)}, not {_shown(scheduler)}; fix the file")
    return TalkingHeadModels(**places, scheduler=scheduler, allow_pickle=allow,
                             config_file=path)


def _read_bounded(path: Path, source: str) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ModelConfigError(f"talking-head config file not found: {path}{source}; check "
                               "the path") from None
    except OSError as exc:
        raise ModelConfigError(f"cannot read the talking-head config file {path}{source} "
                               f"({exc.strerror or type(exc).__name__}); check the path and "
                               "its permissions") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ModelConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KiB, too "
                               "large for a talking-head config; keep only the [models] table")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelConfigError(f"{path} is not UTF-8 text; save it as UTF-8 TOML") from None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ModelConfigError(f"reading {path} needs Python 3.11 or the tomli package "
                                   "(pip install tomli)") from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ModelConfigError(f"{path} is nested too deeply; fix the file") from None
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise ModelConfigError(f"{path} is not valid TOML ({reason}); fix the file") from None


def _models_table(document: dict[str, Any], path: Path) -> dict[str, Any]:
    table = document.get("models", {})
    if not isinstance(table, dict):
        raise ModelConfigError(f"{path}: models must be a table ([models] with base = ..., "
                               f"controlnet = ...), not {_shown(table)}; fix the file")
    unknown = [key for key in table if key not in _KEYS]
    if unknown:
        raise ModelConfigError(f"{path}: unknown key {_shown(unknown[0])} in [models]; use "
                               f"{', '.join(_KEYS)}")
    return table


def _place(value: object, name: str, path: Path) -> str:
    if not isinstance(value, str):
        raise ModelConfigError(f"{path}: [models] {name} must be a string (a folder or a "
                               f"Hugging Face repo id), not {_shown(value)}; fix the file")
    text = value.strip()
    if not text or len(text) > MAX_VALUE_CHARS or "\0" in text:
        raise ModelConfigError(f"{path}: [models] {name} must name a folder or a Hugging Face "
                               f"repo id (1-{MAX_VALUE_CHARS} characters); fix the file")
    return text


def _shown(value: object) -> str:
    """A short description of a config value for a message."""
    if isinstance(value, str):
        return repr(value[:60])
    return type(value).__name__
