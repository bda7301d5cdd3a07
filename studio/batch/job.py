"""One batch job: a voice line rendered into its outputs, failing alone when its line is bad.

Examples
--------
>>> job = BatchJob("hello", RenderSpec(Path("hello.wav")), (".json", ".rhubarb.json"))
>>> [p.name for p in job.outputs(Path("out"))]
['hello.json', 'hello.rhubarb.json']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from generators.errors import Cancelled, GeneratorError
from generators.progress import CancelToken, ProgressSink
from renderers.errors import RendererError
from studio.errors import StudioError
from studio.render_spec import RenderSpec, render

__all__ = ["DONE", "FAILED", "CANCELLED", "SKIPPED", "BatchJob", "JobResult", "run_job"]

DONE, FAILED, CANCELLED, SKIPPED = "done", "failed", "cancelled", "skipped"


@dataclass(frozen=True)
class BatchJob:
    """One line of a batch.

    Parameters
    ----------
    name
        Output stem, unique within the batch (``NAME.json``, ``NAME.rhubarb.json``...).
    spec
        What to render.
    formats
        Output suffixes (``.json``, ``.csv``, ``.rhubarb.json``, ``.tsv``, ``.mp4``, ``.glb``...).
    source
        Where the job was defined, for messages (``"lines.csv line 12"``).
    """

    name: str
    spec: RenderSpec
    formats: tuple[str, ...] = (".json", ".rhubarb.json")
    source: str = ""

    def outputs(self, out_dir: Path) -> list[Path]:
        """The files this job writes in ``out_dir``."""
        return [out_dir / f"{self.name}{suffix}" for suffix in self.formats]


@dataclass(frozen=True)
class JobResult:
    """How one job ended.

    Parameters
    ----------
    name
        The job's name.
    status
        ``done``, ``failed``, ``cancelled`` or ``skipped`` (unchanged since the last run).
    outputs
        Files written (or kept, when skipped).
    error
        One line saying what went wrong and what to do (empty unless failed).
    seconds
        Wall time the job took in its worker.
    worker
        Which worker ran it (a process id, a Ray node), for the report.
    """

    name: str
    status: str
    outputs: tuple[str, ...] = ()
    error: str = ""
    seconds: float = 0.0
    worker: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def run_job(
    job: BatchJob,
    out_dir: Path,
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
    worker: str = "",
) -> JobResult:
    """Render ``job`` into ``out_dir``; a bad line becomes a failed result, never an exception.

    Outputs are written atomically (a temporary file renamed on success), so a failed or
    cancelled job leaves no half-written file under an output's name.

    Returns
    -------
    JobResult
        ``done`` with the files written, ``failed`` with a one-line reason, or ``cancelled``.
    """
    start = time.perf_counter()

    def result(status: str, outputs: tuple[str, ...] = (), error: str = "") -> JobResult:
        return JobResult(job.name, status, outputs, error, time.perf_counter() - start, worker)

    try:
        written = render(job.spec, job.outputs(out_dir), progress=progress, cancel=cancel,
                         keep_partial=False)
    except Cancelled:
        return result(CANCELLED)
    except (GeneratorError, RendererError, StudioError) as exc:
        return result(FAILED, error=_one_line(str(exc)))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return result(FAILED, error=_one_line(f"{exc.strerror or exc}{where}; check the path "
                                              "and the free disk space"))
    return result(DONE, tuple(str(p) for p in written))


def _one_line(text: str) -> str:
    return " ".join(text.split())
