"""Run the self-test: a headless GL context, a take of the bundled demo line, every export
format written and read back.

The rows, in order: the OpenGL (EGL) context, the take (the demo line ``assets/demo/greeting.flac``
with its transcript and the prompt "cheerful", found with :mod:`importlib.resources` so it works
from an installed package or a frozen bundle), then one row per extension of the built-in
exporters (:data:`studio.exporters.registry.BUILTIN_EXPORTERS`): the take is exported through the
same :class:`~studio.session.Session` path as ``affect-studio render`` into a temporary folder
and the file is checked by its validator (:mod:`studio.selftest.validators`). An extension with
no validator is a failed row. No check raises: each problem becomes its row's one-line detail.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from generators.errors import GeneratorError
from renderers.errors import RendererError
from studio.errors import StudioError
from studio.selftest.outcome import (
    FAIL,
    PASS,
    SKIP,
    CheckError,
    CheckResult,
    CheckSkipped,
    Expected,
)
from studio.selftest.validators import VALIDATORS, builtin_extensions
from studio.session import Session

__all__ = [
    "GL_CHECK",
    "TAKE_CHECK",
    "SelfTestSettings",
    "check_names",
    "demo_line",
    "export_check_name",
    "prepare_take",
    "run_self_test",
    "timed",
]

GL_CHECK = "OpenGL (EGL headless)"
"""Name of the first row."""

TAKE_CHECK = "take (demo line)"
"""Name of the row that generates the take."""

_USER_ERRORS = (GeneratorError, RendererError, StudioError)


@dataclass(frozen=True)
class SelfTestSettings:
    """What the self-test renders.

    Parameters
    ----------
    size
        Frame size of the rendered formats (small, so the whole test takes seconds).
    fps
        Frame rate.
    prompt
        The emotion prompt.
    """

    size: tuple[int, int] = (320, 240)
    fps: float = 30.0
    prompt: str = "cheerful"


def export_check_name(ext: str) -> str:
    """Row name of the export of ``ext``.

    Examples
    --------
    >>> export_check_name(".mp4")
    'export .mp4'
    """
    return f"export {ext}"


def check_names(extensions: Sequence[str] | None = None) -> list[str]:
    """The row names :func:`run_self_test` produces, in order."""
    exts = builtin_extensions() if extensions is None else [e.lower() for e in extensions]
    return [GL_CHECK, TAKE_CHECK, *(export_check_name(ext) for ext in exts)]


@contextlib.contextmanager
def demo_line() -> Iterator[tuple[Path, str]]:
    """The bundled demo line as ``(audio file, transcript)``.

    The path stays valid until the block ends (a zipped install extracts it meanwhile).
    """
    demo = resources.files("assets.demo")
    transcript = demo.joinpath("greeting.txt").read_text(encoding="utf-8").strip()
    with resources.as_file(demo.joinpath("greeting.flac")) as audio:
        yield Path(audio), transcript


def prepare_take(
    settings: SelfTestSettings, audio: Path, transcript: str
) -> tuple[Session, Expected]:
    """Generate the take of the demo line with the default avatar loaded.

    Returns
    -------
    tuple
        The session (export through it) and what its exports must hold.
    """
    from generators.take import frame_count
    from studio.render_spec import RenderSpec, session_for

    spec = RenderSpec(audio=audio, transcript=transcript, prompt=settings.prompt,
                      fps=settings.fps, size=settings.size)  # fmt: skip
    session = session_for(spec)
    take = session.generate()
    _ = session.avatar  # the default head, loaded (and checked) now
    width, height = session.settings.width, session.settings.height
    fps = float(session.settings.fps)
    duration = take.duration if take.duration > 0 else take.curves.duration
    expected = Expected(take, width, height, fps, frame_count(duration, fps))
    return session, expected


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    if isinstance(exc, (CheckError, CheckSkipped, *_USER_ERRORS)):
        return message or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def timed(name: str, check: Callable[[], str]) -> CheckResult:
    """Run ``check`` (returns its detail) and turn its outcome into a row.

    :class:`CheckSkipped` gives a skipped row, any other exception a failed row whose detail
    is the exception's message on one line.
    """
    start = time.perf_counter()
    try:
        detail, status = check(), PASS
    except CheckSkipped as exc:
        detail, status = _one_line(exc), SKIP
    except Exception as exc:  # every problem becomes the row's detail, never a traceback
        detail, status = _one_line(exc), FAIL
    return CheckResult(name, status, time.perf_counter() - start, detail)


def _check_gl() -> str:
    from renderers import context

    ctx = context.create_headless_context()
    try:
        major, minor = divmod(ctx.version_code // 10, 10)
        return f"OpenGL {major}.{minor} on {ctx.info.get('GL_RENDERER', 'unknown renderer')}"
    finally:
        ctx.release()


def _needs_gl(ext: str) -> bool:
    from studio.exporters.base import exporter_for
    from studio.exporters.frame_encoding import FrameExporter

    return isinstance(exporter_for(Path(f"probe{ext}")), FrameExporter)


def _export_row(
    ext: str, gl: CheckResult, prepared: list[tuple[Session, Expected]], folder: Path
) -> str:
    """Export the take as ``ext`` and validate the file, given how the earlier rows went."""
    validator = VALIDATORS.get(ext)
    if validator is None:
        raise CheckError(f"no validator for {ext} (add one to studio.selftest.validators)")
    reason = validator.unavailable()
    if reason is not None:
        raise CheckSkipped(reason)
    if not prepared:
        raise CheckError("not run: the take could not be generated (see its row)")
    if gl.failed and _needs_gl(ext):
        raise CheckError("not run: rendering needs OpenGL (see the first row)")
    session, expected = prepared[0]
    dest = folder / f"selftest{ext}"
    session.export(dest)
    return validator.check(dest, expected)


def run_self_test(
    settings: SelfTestSettings | None = None,
    *,
    extensions: Sequence[str] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    workdir: Path | None = None,
) -> list[CheckResult]:
    """Run every check; return the rows (also passed to ``on_result`` as each one ends).

    Parameters
    ----------
    settings
        What to render (default :class:`SelfTestSettings`).
    extensions
        Export extensions to check (default: every extension of the built-in exporters).
    on_result
        Called with each row as soon as it is known (to print progress).
    workdir
        Folder for the exported files, kept afterwards; ``None`` uses a temporary folder that
        is removed at the end.
    """
    settings = settings or SelfTestSettings()
    exts = builtin_extensions() if extensions is None else [e.lower() for e in extensions]
    results: list[CheckResult] = []

    def record(result: CheckResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    gl = timed(GL_CHECK, _check_gl)
    record(gl)
    prepared: list[tuple[Session, Expected]] = []
    with contextlib.ExitStack() as stack:

        def make_take() -> str:
            audio, transcript = stack.enter_context(demo_line())
            prepared.append(prepare_take(settings, audio, transcript))
            take = prepared[0][1].take
            return (f"{take.duration:.2f} s demo line, {take.curves.num_frames} frames at "
                    f"{take.fps:g} fps, {len(take.visemes.visemes)} visemes "
                    f"({take.visemes.method or 'lip sync'}), prompt {settings.prompt!r}")

        if workdir is None:
            temporary = tempfile.TemporaryDirectory(prefix="affect-studio-selftest-")
            folder = Path(stack.enter_context(temporary))
        else:
            folder = Path(workdir)
            folder.mkdir(parents=True, exist_ok=True)
        record(timed(TAKE_CHECK, make_take))
        for ext in exts:
            row = functools.partial(_export_row, ext, gl, prepared, folder)
            record(timed(export_check_name(ext), row))
    return results
