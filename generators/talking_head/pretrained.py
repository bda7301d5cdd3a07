"""Load a transformers model from a local folder, refusing one whose weights are incomplete.

transformers fills weights a checkpoint lacks with random values and only logs it; a text or
image encoder loaded that way runs and produces noise. Here a missing tensor is an error that
names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generators.errors import ModelError, first_line

__all__ = ["load_complete"]


def load_complete(model_class: Any, folder: Path, *, what: str, hint: str,
                  **options: Any) -> Any:
    """``model_class.from_pretrained(folder, **options)`` in eval mode, every weight loaded.

    Parameters
    ----------
    model_class
        A transformers model class (``CLIPTextModel``, ``CLIPVisionModelWithProjection``).
    folder
        The model's folder on disk.
    what
        What the model is, for messages ("the talking-head text_encoder").
    hint
        What to check, for messages ("check that the folder holds ...").
    **options
        Passed to ``from_pretrained`` (``local_files_only``, ``torch_dtype``, ...).

    Raises
    ------
    ModelError
        The folder cannot be loaded, or its weights lack tensors the model needs (one line).
    """
    try:
        model, info = model_class.from_pretrained(folder, output_loading_info=True, **options)
    except Exception as exc:  # config, file and safetensors readers raise many kinds
        raise ModelError(f"cannot load {what} from {folder}: {first_line(exc)}; {hint}") from exc
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        raise ModelError(f"cannot load {what} from {folder}: its weights lack {missing[0]} "
                         f"({len(missing)} tensors missing); {hint}")
    return model.eval()
