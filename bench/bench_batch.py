"""Batch export: throughput with 1 and 2 jobs, the batch machinery's own cost, memory.

Run: ``.venv/bin/python bench/bench_batch.py`` (200 clips, 1 and 2 jobs; prints a table);
``--clips 2000 --jobs 2`` for the memory row at 2,000 clips; ``--backend ray`` for the Ray
backend on this machine, with ``--versus-local PAIRS`` to alternate it with the local backend
and print the ratio (``--address HOST:PORT`` for an already running Ray instance).

The clips are 3-10 s pieces cut from the real English speech in ``../shared/evaldata`` (mono,
at the source's rate, no transcript: lip sync from the sound), made once and kept in
``bench/.cache/batch_clips`` (git-ignored). Past 200 clips the same pieces are reused under
other names. Each job writes ``.json`` + ``.csv`` + ``.rhubarb.json`` with one of a few emotion
prompts, into a fresh output folder per row.

Columns: wall time of the whole ``run_batch`` call (worker start-up included); clips per
second and its multiple of the 1-job row; CPU time per clip of the workers and of the parent
(the parent's is all batch machinery); *overhead*: the wall time not spent inside the
workers' ``run_job`` calls (start-up, fingerprints, hand-out, events, resume records, report),
per clip: ``(wall * jobs - sum of job seconds) / clips``, which also counts a worker idling
at the end while the other finishes the last job; peak RSS of the parent and of the largest
worker (MiB), sampled every 0.2 s, at the 200th finished clip and at the end. The last row
reruns the first row's batch unchanged: every job is skipped (the cost of the resume check).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generators.progress import CancelToken  # noqa: E402
from studio.batch.backend import JobFinished, JobStarted  # noqa: E402
from studio.batch.job import DONE, SKIPPED, BatchJob  # noqa: E402
from studio.batch.local import LocalBackend  # noqa: E402
from studio.batch.runner import run_batch  # noqa: E402
from studio.render_spec import RenderSpec  # noqa: E402

SHARED = Path(os.environ.get("AFFECT_SHARED_DIR", REPO.parent / "shared"))
EVALDATA = SHARED / "evaldata"
CACHE = REPO / "bench" / ".cache" / "batch_clips"
BASE_CLIPS = 200
SOURCES = [
    *(f"speech/nvidia_a2f/{n}.wav" for n in (
        "Claire_anger", "Claire_neutral", "Claire_sadness", "Claire_sadness_16khz_20_sec",
        "Mark_anger", "Mark_joy", "Mark_neutral", "Mark_outofbreath", "Mark_sadness")),
    *(f"speech/sadtalker/{n}.wav" for n in (
        "RD_Radio31_000", "RD_Radio34_002", "RD_Radio36_000", "RD_Radio40_000")),
    "speech/faceformer/test.wav", "speech/whisper/jfk.flac",
    "alignment/mfa/acoustic_corpus.wav", "alignment/mfa/cold_corpus.wav",
    "alignment/mfa/cold_corpus3.wav", "alignment/mfa/61-70968-0000.flac",
]
PROMPTS = ["calm", "quietly furious", "nervous but hopeful", "cheerful", "sad and tired"]
FORMATS = (".json", ".csv", ".rhubarb.json")
MIB = 1024 * 1024


def make_clips() -> list[Path]:
    """The 200 cached 3-10 s clips (cut now if missing)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    clips = [CACHE / f"clip_{i:03d}.wav" for i in range(BASE_CLIPS)]
    if all(c.is_file() for c in clips):
        return clips
    rng = np.random.default_rng(7)
    audio = []
    for name in SOURCES:
        data, rate = sf.read(EVALDATA / name, dtype="float32", always_2d=True)
        audio.append((data.mean(axis=1), rate))
    for i, clip in enumerate(clips):
        data, rate = audio[i % len(audio)]
        seconds = rng.uniform(3.0, 10.0)
        length = min(int(seconds * rate), len(data))
        start = int(rng.integers(0, len(data) - length + 1))
        sf.write(clip, data[start:start + length], rate, subtype="PCM_16")
    return clips


def make_jobs(clips: list[Path], count: int) -> list[BatchJob]:
    """``count`` jobs over the clips (reused under new names past 200)."""
    return [BatchJob(f"line_{i:05d}", RenderSpec(clips[i % len(clips)],
                                                 prompt=PROMPTS[i % len(PROMPTS)]), FORMATS)
            for i in range(count)]


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_self() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler:
    """Samples the RSS of the workers seen in the events and of this process."""

    def __init__(self) -> None:
        self.pids: set[int] = set()
        self.cpu: dict[int, float] = {}
        self.worker_peak = 0
        self.parent_peak = 0
        self.at_200: tuple[int, int] | None = None
        self.finished = 0
        self.job_seconds = 0.0
        self.done = 0
        self.skipped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.parent_peak = max(self.parent_peak, _rss(os.getpid()))
        for pid in list(self.pids):
            self.worker_peak = max(self.worker_peak, _rss(pid))
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.cpu[pid] = cpu

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __call__(self, event: object) -> None:
        if isinstance(event, JobStarted) and event.worker.startswith("pid "):
            self.pids.add(int(event.worker.split()[1]))
        elif isinstance(event, JobFinished):
            self.finished += 1
            self.job_seconds += event.result.seconds
            self.done += event.result.status == DONE
            self.skipped += event.result.status == SKIPPED
            pid = event.result.worker.removeprefix("pid ")
            if pid.isdigit():  # its CPU time so far (a worker may end before the next sample)
                cpu = _cpu_seconds(int(pid))
                if cpu is not None:
                    self.cpu[int(pid)] = cpu
            if self.finished == BASE_CLIPS:
                self._sample()
                self.at_200 = (self.parent_peak, self.worker_peak)


def _backend(kind: str, jobs: int, address: str | None) -> object:
    if kind == "ray":
        from studio.batch.ray_backend import RayBackend

        return RayBackend(address, jobs)
    return LocalBackend(jobs)


def run_row(jobs_list: list[BatchJob], out: Path, kind: str, jobs: int,
            address: str | None) -> dict[str, float]:
    """One batch run; its figures."""
    backend = _backend(kind, jobs, address)
    with Sampler() as sampler:
        start, cpu_start = time.perf_counter(), time.process_time()
        report = run_batch(jobs_list, out, backend, events=sampler, cancel=CancelToken())
        wall, parent_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if not report.ok:
        failed = report.failed[:3]
        sys.exit(f"batch failed: {[(r.name, r.error) for r in failed]}")
    n = len(jobs_list)
    at_200 = sampler.at_200 or (sampler.parent_peak, sampler.worker_peak)
    return {
        "wall": wall, "rate": n / wall, "done": sampler.done, "skipped": sampler.skipped,
        "overhead_ms": 1000 * (wall * jobs - sampler.job_seconds) / n,
        "job_ms": 1000 * sampler.job_seconds / max(sampler.done, 1),
        "parent_cpu_ms": 1000 * parent_cpu / n,
        "worker_cpu_ms": 1000 * sum(sampler.cpu.values()) / n,
        "parent_200": at_200[0] / MIB, "worker_200": at_200[1] / MIB,
        "parent_end": max(sampler.parent_peak, _peak_self()) / MIB,
        "worker_end": sampler.worker_peak / MIB,
    }


def plain_part(jobs_list: list[BatchJob], part: int, parts: int, out: Path) -> dict[str, float]:
    """Every ``parts``-th job from ``part`` on, one after another in this process, no batch."""
    from studio.batch.job import run_job

    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for job in jobs_list[part::parts]:
        result = run_job(job, out)
        if result.status != DONE:
            sys.exit(f"{job.name} failed: {result.error}")
    return {"wall": time.perf_counter() - start}


def _plain_in_processes(args: argparse.Namespace, parts: int, out: Path) -> float:
    """Wall time of ``parts`` independent plain processes sharing the jobs (the machine's own
    scaling, without any batch machinery)."""
    start = time.perf_counter()
    procs = [subprocess.Popen(
        [sys.executable, __file__, "--plain", str(parts), "--part", str(i), "--clips",
         str(args.clips), "--out", str(out / f"plain{parts}")], stdout=subprocess.DEVNULL)
        for i in range(parts)]
    if any(p.wait() for p in procs):
        sys.exit("a plain run failed")
    return time.perf_counter() - start


def _row_in_fresh_process(args: argparse.Namespace, jobs: int, out: Path,
                          backend: str | None = None) -> dict[str, float]:
    """Run one row in a new Python process, as a user's command runs (start-up included)."""
    backend = backend or args.backend
    cmd = [sys.executable, __file__, "--row", "--clips", str(args.clips), "--jobs", str(jobs),
           "--backend", backend, "--out", str(out)]
    if args.address and backend == "ray":
        cmd += ["--address", args.address]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the table (each row in a fresh process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=BASE_CLIPS)
    parser.add_argument("--jobs", default="1,2", help="comma-separated job counts (default 1,2)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument("--ceiling", action="store_true",
                        help="also time 1 and 2 plain processes running the jobs without the "
                        "batch machinery (the machine's own scaling)")
    parser.add_argument("--versus-local", type=int, default=0, metavar="PAIRS",
                        help="with --backend ray: PAIRS alternated local and Ray rows per job "
                        "count, each Ray row's throughput as a ratio of the local row before it")
    parser.add_argument("--row", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plain", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    clips = make_clips()
    jobs_list = make_jobs(clips, args.clips)
    if args.row:
        print(json.dumps(run_row(jobs_list, Path(args.out), args.backend, int(args.jobs),
                                 args.address)))
        return
    if args.plain:
        print(json.dumps(plain_part(jobs_list, args.part, args.plain, Path(args.out))))
        return
    counts = [int(j) for j in args.jobs.split(",")]
    if args.versus_local:
        _versus_local(args, counts)
        return
    seconds = sum(sf.info(c).duration for c in clips)
    print(f"{args.clips} clips ({BASE_CLIPS} distinct, {seconds / BASE_CLIPS:.1f} s average, "
          f"no transcript) -> {' + '.join(FORMATS)}; backend {args.backend}; "
          f"{os.cpu_count()} CPUs; each row a fresh process")
    print(f"{'row':<18} {'wall s':>7} {'clips/s':>8} {'x 1 job':>8} {'job ms':>7} "
          f"{'CPU ms/clip worker/parent':>26} {'overhead ms/clip':>17} "
          f"{'RSS MiB parent/worker @200':>27} {'@end':>12}")
    base_rate = None
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        for jobs in counts:
            r = _row_in_fresh_process(args, jobs, Path(tmp) / f"out{jobs}")
            base_rate = base_rate or (r["rate"] if jobs == 1 else None)
            ratio = f"{r['rate'] / base_rate:8.2f}" if base_rate else f"{'-':>8}"
            print(f"{f'{args.backend}, {jobs} job(s)':<18} {r['wall']:>7.1f} {r['rate']:>8.2f} "
                  f"{ratio} {r['job_ms']:>7.0f} "
                  f"{r['worker_cpu_ms']:>16.0f} / {r['parent_cpu_ms']:<7.1f} "
                  f"{r['overhead_ms']:>17.1f} "
                  f"{r['parent_200']:>13.0f} / {r['worker_200']:<11.0f} "
                  f"{r['parent_end']:>5.0f} / {r['worker_end']:<5.0f}", flush=True)
        r = _row_in_fresh_process(args, counts[0], Path(tmp) / f"out{counts[0]}")
        print(f"{'rerun, unchanged':<18} {r['wall']:>7.2f} {'':>8} {'':>8} {'':>7} {'':>26} "
              f"{1000 * r['wall'] / args.clips:>17.2f}   ({r['skipped']:.0f} skipped)")
        if args.ceiling:
            plain = [_plain_in_processes(args, parts, Path(tmp)) for parts in (1, 2)]
            for parts, wall in zip((1, 2), plain, strict=True):
                print(f"{f'plain, {parts} proc(s)':<18} {wall:>7.1f} {args.clips / wall:>8.2f} "
                      f"{plain[0] / wall:>8.2f}   (no batch machinery)")


def _versus_local(args: argparse.Namespace, counts: list[int]) -> None:
    """Alternate local and Ray rows (same clips, same job count), each pair on the same load."""
    if args.backend != "ray":
        sys.exit("--versus-local compares the Ray backend: add --backend ray")
    where = f"the cluster at {args.address}" if args.address else "a private local instance"
    print(f"{args.clips} clips, Ray on {where} against the local backend, "
          f"{args.versus_local} alternated pair(s) per job count; each row a fresh process")
    print(f"{'row':<22} {'wall s':>7} {'clips/s':>8} {'vs local':>9} {'job ms':>7} "
          f"{'CPU ms/clip worker/parent':>26} {'overhead ms/clip':>17} "
          f"{'RSS MiB parent/worker @end':>27}")
    ratios: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        for jobs in counts:
            for pair in range(args.versus_local):
                rows = [(kind, _row_in_fresh_process(args, jobs, Path(tmp) / f"{kind}{jobs}-{pair}",
                                                     kind)) for kind in ("local", "ray")]
                base = rows[0][1]["rate"]
                ratios.setdefault(jobs, []).append(rows[1][1]["rate"] / base)
                for kind, r in rows:
                    print(f"{f'{kind}, {jobs} job(s)':<22} {r['wall']:>7.1f} {r['rate']:>8.2f} "
                          f"{r['rate'] / base:>9.2f} {r['job_ms']:>7.0f} "
                          f"{r['worker_cpu_ms']:>16.0f} / {r['parent_cpu_ms']:<7.1f} "
                          f"{r['overhead_ms']:>17.1f} "
                          f"{r['parent_end']:>13.0f} / {r['worker_end']:<11.0f}", flush=True)
    for jobs, values in ratios.items():
        print(f"Ray / local with {jobs} job(s): {min(values):.2f}-{max(values):.2f} "
              f"(target >= 0.85: {'met' if min(values) >= 0.85 else 'missed'})")


if __name__ == "__main__":
    main()
