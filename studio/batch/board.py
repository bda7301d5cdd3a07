"""A batch as a table: one row per job (and per bad line), its status kept up by the events.

:class:`BatchBoard` is what a progress view shows (the studio's Batch dialog draws it): rows
built from a :class:`~studio.batch.manifest.BatchPlan` in the order the runner reports them
(jobs, then the bad lines), each row's status following the
:mod:`~studio.batch.backend` events, and :meth:`BatchBoard.settle` making every row agree
with the final :class:`~studio.batch.report.BatchReport`.

Examples
--------
>>> from studio.batch.job import BatchJob, JobResult, DONE
>>> from studio.batch.manifest import BatchPlan, LineProblem
>>> from studio.render_spec import RenderSpec
>>> plan = BatchPlan([BatchJob("hi", RenderSpec(Path("hi.wav"), "hello"))],
...                  [LineProblem("x", "x.wav", "audio file not found")])
>>> board = BatchBoard(plan)
>>> [(r.name, r.transcript, r.status, r.detail) for r in board.rows]
[('hi', True, 'queued', ''), ('x', False, 'bad line', 'audio file not found')]
>>> board.apply(JobStarted("hi")), board.apply(JobProgress("hi", 0.5, "mapping"))
([0], [0])
>>> board.rows[0].status_text
'running 50%'
>>> board.apply(JobFinished(JobResult("hi", DONE))), board.rows[0].status_text
([0], 'done')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from studio.batch.backend import BatchEvent, JobFinished, JobProgress, JobStarted
from studio.batch.job import DONE, FAILED
from studio.batch.manifest import BatchPlan
from studio.batch.report import BatchProgress, BatchReport

__all__ = ["BAD_LINE", "QUEUED", "RUNNING", "BatchBoard", "BoardRow"]

QUEUED, RUNNING, BAD_LINE = "queued", "running", "bad line"
"""Row statuses besides the job results' (``done``, ``failed``, ``skipped``, ``cancelled``)."""


@dataclass
class BoardRow:
    """One row of the table.

    Parameters
    ----------
    name
        The job's output name (a bad line's name when known).
    audio
        The voice line's file name, or where a bad line is.
    transcript
        Whether the job has a transcript.
    prompt
        The emotion prompt or the emotion track's file name.
    formats
        The output suffixes, space separated.
    status
        ``queued``, ``running``, ``bad line`` or a result status.
    fraction
        A running job's progress, 0..1.
    detail
        A bad line's or failed job's reason, or what a running job is doing.
    problem
        The row is a line that could not become a job.
    """

    name: str
    audio: str
    transcript: bool
    prompt: str
    formats: str
    status: str = QUEUED
    fraction: float = 0.0
    detail: str = ""
    problem: bool = False

    @property
    def status_text(self) -> str:
        """The status as shown (``running 42%``)."""
        if self.status == RUNNING:
            return f"{RUNNING} {round(self.fraction * 100)}%"
        return self.status

    @property
    def is_error(self) -> bool:
        """A bad line or a failed job (drawn in red)."""
        return self.status in (FAILED, BAD_LINE)


class BatchBoard:
    """The rows of a batch and their statuses.

    Parameters
    ----------
    plan
        The batch as read (its jobs, then its bad lines, as the runner orders its results).
    """

    def __init__(self, plan: BatchPlan) -> None:
        self.rows: list[BoardRow] = []
        self._jobs: dict[str, int] = {}
        self._problems: dict[tuple[str, str], deque[int]] = {}
        for job in plan.jobs:
            spec = job.spec
            prompt = spec.emotion_track.name if spec.emotion_track is not None else spec.prompt
            self._jobs[job.name] = len(self.rows)
            self.rows.append(BoardRow(job.name, Path(spec.audio).name,
                                      bool(spec.transcript), prompt, " ".join(job.formats)))
        for problem in plan.problems:
            self.rows.append(BoardRow(problem.name, problem.source, False, "", "", BAD_LINE,
                                      detail=problem.reason, problem=True))
        self.progress = BatchProgress(len(self.rows))
        self.start()

    def __len__(self) -> int:
        return len(self.rows)

    def start(self) -> list[int]:
        """Reset for a run: jobs ``queued``, bad lines as read, counts zero.

        Returns
        -------
        list of int
            The rows that changed.
        """
        self.progress = BatchProgress(len(self.rows))
        self._problems = {}
        changed = []
        offset = 0
        for index, row in enumerate(self.rows):
            if row.problem:
                offset += 1
                # the runner names a nameless bad line's result "line N" (N counts bad lines)
                key = (row.name or f"line {offset}", row.detail)
                self._problems.setdefault(key, deque()).append(index)
                fresh = (BAD_LINE, row.detail)
            else:
                fresh = (QUEUED, "")
            if (row.status, row.detail) != fresh:
                changed.append(index)
            row.status, row.detail = fresh
            row.fraction = 0.0
        return changed

    def apply(self, event: BatchEvent) -> list[int]:
        """Take one event into account; returns the rows that changed (at most one)."""
        self.progress(event)
        if isinstance(event, JobFinished):
            result = event.result
            index: int | None = None
            waiting = self._problems.get((result.name, result.error))
            if result.status == FAILED and waiting:
                index = waiting.popleft()
            else:
                index = self._jobs.get(result.name)
            if index is None:
                return []
            row = self.rows[index]
            row.status, row.fraction = result.status, 1.0 if result.status == DONE else 0.0
            row.detail = result.error if result.status == FAILED else ""
            return [index]
        index = self._jobs.get(event.name)
        if index is None:
            return []
        row = self.rows[index]
        if isinstance(event, JobStarted):
            row.status, row.fraction, row.detail = RUNNING, 0.0, ""
        elif isinstance(event, JobProgress) and row.status == RUNNING:
            row.fraction = min(max(float(event.fraction), 0.0), 1.0)
            row.detail = event.message
        return [index]

    def settle(self, report: BatchReport) -> list[int]:
        """Make every row agree with the final report; returns the rows that changed."""
        changed = []
        results: Sequence = report.results
        if len(results) != len(self.rows):
            return changed
        for index, (row, result) in enumerate(zip(self.rows, results, strict=True)):
            detail = result.error if result.status == FAILED else ""
            if (row.status, row.detail) != (result.status, detail):
                row.status, row.detail, row.fraction = result.status, detail, 0.0
                changed.append(index)
        return changed

    def count(self, status: str) -> int:
        """How many rows have ``status``."""
        return sum(1 for row in self.rows if row.status == status)
