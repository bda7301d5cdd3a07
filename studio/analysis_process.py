"""Run the audio analysis in a helper process, so the studio window never waits on it.

Speech decoding holds Python's interpreter lock for seconds at a time, which would freeze
a window running it on a thread. :class:`AnalysisProcess` keeps one warm helper process
(started ahead of need) that analyses requests sent over a pipe and streams progress back;
cancelling ends the helper at once and a fresh one is started for the next request.
Only this program's own objects cross the pipe.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from generators import errors as generator_errors
from generators.base import GenerationRequest
from generators.errors import Cancelled, GeneratorError
from generators.progress import CancelToken, ProgressSink
from studio.child_command import module_command
from studio.errors import StudioError

__all__ = ["AnalysisProcess"]

POLL_S = 0.05


class _PipeProgress:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def report(self, fraction: float, message: str) -> None:
        self._conn.send(("progress", float(fraction), str(message)))


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the helper process
    """The helper's loop: analyse each request, answer with the result or the error."""
    from generators.base import create_generator

    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, generator_name, request = message
        try:
            generator = create_generator(generator_name)
            result = generator.analyse(request, progress=_PipeProgress(conn))  # type: ignore[attr-defined]
        except GeneratorError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the window
            conn.send(("crash", type(exc).__name__, str(exc)))
        else:
            conn.send(("done", result))


class AnalysisProcess:
    """A warm helper process running :meth:`RigGenerator.analyse`-style analyses.

    Use :meth:`analyse` from a worker thread (it blocks while waiting, without holding the
    interpreter lock); :meth:`close` when the window closes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def start(self) -> None:
        """Start the helper now (it loads the speech models while the user works)."""
        with self._lock:
            self._ensure_started()

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ensure_started(self) -> None:
        if self._alive():
            return
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            process = subprocess.Popen(
                module_command("studio.analysis_process", str(theirs.fileno())),
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            ours.close()
            raise StudioError(f"cannot start the analysis helper process: {exc}") from None
        finally:
            theirs.close()
        self._process, self._conn = process, Connection(ours.detach())

    def _kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(2.0)
        self._process, self._conn = None, None

    def analyse(
        self,
        generator_name: str,
        request: GenerationRequest,
        progress: ProgressSink,
        cancel: CancelToken,
    ) -> Any:
        """Analyse ``request`` in the helper; block until done, failed or cancelled.

        Raises
        ------
        GeneratorError
            The generator's own error (bad audio, unusable transcript...), same class.
        Cancelled
            If ``cancel`` was set (the helper is ended and replaced).
        StudioError
            If the helper process died.
        """
        with self._lock:
            self._ensure_started()
            conn = self._conn
            assert conn is not None
            try:
                conn.send(("analyse", generator_name, request))
                while True:
                    if cancel.cancelled:
                        self._kill()
                        raise Cancelled("analysis cancelled")
                    if not conn.poll(POLL_S):
                        if not self._alive():
                            self._kill()
                            raise StudioError("the analysis helper process stopped unexpectedly")
                        continue
                    message = conn.recv()
                    kind = message[0]
                    if kind == "progress":
                        progress.report(message[1], message[2])
                    elif kind == "done":
                        return message[1]
                    elif kind == "error":
                        cls = getattr(generator_errors, message[1], GeneratorError)
                        if not (isinstance(cls, type) and issubclass(cls, GeneratorError)):
                            cls = GeneratorError
                        raise cls(message[2])
                    elif kind == "crash":
                        raise StudioError(f"audio analysis failed: {message[1]}: {message[2]}")
            except (EOFError, OSError, BrokenPipeError):
                self._kill()
                raise StudioError("the analysis helper process stopped unexpectedly") from None

    def close(self) -> None:
        """End the helper process."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    self._conn.send(("stop",))
            if self._process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(1.0)
            self._kill()


if __name__ == "__main__":  # pragma: no cover - the helper process
    _serve(Connection(int(sys.argv[1])))
