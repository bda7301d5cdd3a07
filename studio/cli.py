"""The ``affect-studio`` command line (no Qt import; heavy modules load per command).

Exit codes: 0 success, 2 bad input (one ``error: ...`` line on stderr), 1 internal error,
3 a batch ran but some of its jobs failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generators.language import AUTO, LANGUAGES

__all__ = ["main"]

MAX_TRANSCRIPT_BYTES = 256 * 1024
MAX_SIDE = 4096


class UsageError(Exception):
    """Bad command-line input, reported as ``error: ...`` with exit code 2."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("affect-studio")
    except PackageNotFoundError:
        return "0+unknown"


def _size(text: str) -> tuple[int, int]:
    try:
        w_text, h_text = text.lower().split("x")
        w, h = int(w_text), int(h_text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}"
        ) from None
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"size must be 16..{MAX_SIDE} on each side, got {text}")
    if w % 2 or h % 2:
        raise argparse.ArgumentTypeError(f"video size must be even on both sides, got {text}")
    return w, h


def _number_in(what: str, low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number within ``low..high`` with a one-line message otherwise."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what} must be between {low:g} and {high:g}, got {text}"
            )
        return value

    return parse


_fps = _number_in("fps", 1, 240)
_unit = _number_in("intensity", 0.0, 1.0)
_share = _number_in("follow-voice", 0.0, 1.0)
_seconds_0_3 = _number_in("transition", 0.0, 3.0)
_guidance = _number_in("guidance", 0.0, 30.0)
_strength = _number_in("strength", 0.01, 1.0)
_ip_adapter_scale = _number_in("ip-adapter-scale", 0.0, 2.0)


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps must be a whole number, got {text!r}") from None
    if not 1 <= value <= 200:
        raise argparse.ArgumentTypeError(f"steps must be between 1 and 200, got {text}")
    return value


def _frame_batch(text: str) -> int | None:
    from studio.batch.manifest_fields import FRAME_BATCH_RANGE

    low, high = FRAME_BATCH_RANGE
    if text.strip().lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"frame-batch must be 'auto' or a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"frame-batch must be between {low} and {high}, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = _Parser(
        prog="affect-studio",
        description="Turn a voice line and emotion prompts into an expressive animated face.",
    )
    parser.add_argument("--version", action="version", version=f"affect-studio {_version()}")
    parser.add_argument("--self-test", action="store_true",
                        help="render the demo line headless, export and check every format, "
                        "print a pass/fail table (exit 0: all passed, 1: a check failed)")
    parser.add_argument("--json", dest="self_test_json", action="store_true",
                        help="with --self-test: print the results as JSON")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    render = sub.add_parser(
        "render",
        help="animate a voice line and write video/curves/mouth cues",
        description="Animate AUDIO and write each -o OUT; the format follows OUT's extension "
        "(.mp4, .json, .csv, .rhubarb.json, .tsv).",
    )
    render.add_argument("audio", metavar="AUDIO", help="voice line (wav, flac, mp3, ogg, m4a)")
    render.add_argument("--transcript", metavar="TEXT|@FILE",
                        help="what is said (enables forced alignment); @FILE reads a text file")
    render.add_argument("--language", choices=LANGUAGES, default=AUTO,
                        help="spoken language: auto (English; without a transcript, lip sync "
                        "from the sound when the English recogniser cannot follow the voice), "
                        "en, or other (any language: lip sync from the sound alone, a "
                        "transcript is ignored); default auto")
    emotion = render.add_mutually_exclusive_group()
    emotion.add_argument("--prompt", default="", help='emotion prompt, e.g. "quietly furious"')
    emotion.add_argument("--emotion-track", metavar="FILE",
                         help="prompts along the timeline: a text file of 'SECONDS PROMPT' lines "
                         "(e.g. '0.0 calm', '3.2 suddenly furious') or a JSON list of "
                         "{start, end, prompt} segments")
    render.add_argument("--visemes", metavar="FILE",
                        help="hand-corrected lip sync: JSON list of {viseme, start, end}, or a "
                        "curves .json whose lipSync visemes were corrected")
    render.add_argument("--intensity", type=_unit, default=1.0, help="emotion intensity 0..1")
    render.add_argument("--follow-voice", type=_share, default=None, metavar="0..1",
                        help="how much the voice's own emotion (prosody, transcript sentiment) "
                        "colours the prompt's (0: the prompt alone; default 0.3)")
    render.add_argument("--transition", type=_seconds_0_3, default=None, metavar="SECONDS",
                        help="how long an emotion change takes to settle (0..3 s; default: the "
                        "emotion track's, else 0.4)")
    render.add_argument("--avatar", metavar="FILE", help="avatar .glb/.gltf (default: built-in)")
    render.add_argument("--fps", type=_fps, default=30.0, help="frames per second (default 30)")
    render.add_argument("--size", type=_size, default=None, metavar="WxH",
                        help="video size (default 1280x720; 512x512 with --generator "
                        "talking-head)")
    render.add_argument("--seed", type=int, default=0,
                        help="seed for blinks and idle motion (and the diffusion noise)")
    head = render.add_argument_group(
        "talking head", "--generator talking-head: the .mp4 is a portrait video made by a "
        "diffusion model (the diffusion extra) guided by the rig's animation; the other "
        "outputs still come from the rig")
    head.add_argument("--generator", choices=("rig", "talking-head"), default="rig",
                      help="what draws the .mp4 (default rig: the 3D avatar)")
    head.add_argument("--reference", metavar="IMAGE",
                      help="the portrait (PNG or JPEG) every frame starts from")
    head.add_argument("--models", metavar="FILE",
                      help="talking_head.toml naming the model folders (default: see README)")
    head.add_argument("--device", choices=("cuda", "mps", "cpu"), default=None,
                      help="where to run the model (default: the best available)")
    head.add_argument("--steps", type=_steps, default=4, help="denoising steps (default 4)")
    head.add_argument("--guidance", type=_guidance, default=1.0,
                      help="classifier-free guidance scale; above 1 runs it (default 1)")
    head.add_argument("--strength", type=_strength, default=0.7,
                      help="how far frames may move from the reference, 0..1 (default 0.7)")
    head.add_argument("--ip-adapter-scale", type=_ip_adapter_scale, default=0.6,
                      help="weight of the reference as an image prompt when the models include "
                      "an IP-Adapter, 0..2; 0 turns it off (default 0.6)")
    head.add_argument("--frame-batch", type=_frame_batch, default=None, metavar="N",
                      help="frames denoised together, 1..64, or auto: as many as the GPU's "
                      "free memory holds, up to 32 (4 on the CPU) (default auto)")
    head.add_argument("--low-memory", action="store_true",
                      help="save GPU memory (text encoder on the CPU, sliced attention, VAE "
                      "one frame at a time) at some cost in speed")
    render.add_argument("-o", "--output", action="append", required=True, metavar="OUT",
                        help="output file; repeat for several formats")
    render.add_argument("--json-progress", action="store_true",
                        help="print one JSON object per progress event on stderr")
    render.set_defaults(func=_cmd_render)

    emo = sub.add_parser("emotion", help="show what an emotion prompt means",
                         description="Explain an emotion prompt: mixture, valence/arousal/"
                         "dominance, intensity and the face regions it moves.")
    emo.add_argument("prompt", metavar="PROMPT")
    emo.add_argument("--intensity", type=_unit, default=None)
    emo.add_argument("--json", action="store_true", help="print JSON (default: readable text)")
    emo.set_defaults(func=_cmd_emotion)

    gui = sub.add_parser("gui", help="open the studio window (the default with no command)",
                         description="Open the studio window, optionally with a project "
                         "(.affect.json) or a voice line.")
    gui.add_argument("path", nargs="?", metavar="PROJECT|AUDIO",
                     help="an .affect.json project or an audio file to open")
    gui.add_argument("--exit-after-show", action="store_true",
                     help="print the start-up time once the window is shown, then quit")
    gui.set_defaults(func=_cmd_gui)

    avatar = sub.add_parser("avatar", help="check an avatar file",
                            description="Check an avatar file before using it.")
    avatar_actions = avatar.add_subparsers(dest="action", parser_class=_Parser, required=True,
                                           metavar="ACTION")
    inspect = avatar_actions.add_parser(
        "inspect", help="report which ARKit shapes an avatar's morph targets provide",
        description="Print the meshes of a .glb/.gltf/.vrm avatar and how its morph targets "
        "match the 52 ARKit shapes: matched (and how), missing (important ones marked !), "
        "shared by both sides, Oculus/Ready Player Me visemes and ignored targets.",
    )
    inspect.add_argument("file", metavar="FILE",
                         help="avatar .glb, .gltf, .vrm or .obj (with its shapes folder)")
    inspect.add_argument("--profile", metavar="PROFILE",
                         help="mapping profile (.mapping.json) overriding the automatic "
                         "matching (default: FILE's <name>.mapping.json when present)")
    inspect.add_argument("--json", action="store_true", help="print JSON (default: readable text)")
    inspect.set_defaults(func=_cmd_avatar_inspect)

    from studio.batch.command import add_batch_command

    add_batch_command(sub)
    return parser


def _cmd_self_test(args: argparse.Namespace) -> int:
    from studio.selftest.command import self_test_command

    return self_test_command(as_json=args.self_test_json)


def _cmd_gui(args: argparse.Namespace) -> int:
    if sys.platform.startswith("linux") and not (
        os.environ.get("QT_QPA_PLATFORM")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise UsageError(
            "no display found for the studio window (run it on a desktop session, or use "
            "'affect-studio render' for headless work)"
        )
    from studio.system_check import gui_library_problem

    problem = gui_library_problem()  # Qt would print a page of plugin errors and abort
    if problem is not None:
        raise UsageError(problem)
    if args.path is not None and not Path(args.path).exists():
        raise UsageError(f"file not found: {args.path} (check the path)")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")  # codec probing noise
    # Loaded by name only here, so that the other commands never import Qt.
    app = importlib.import_module("studio.qt.app")
    return int(app.run(args.path, exit_after_show=args.exit_after_show))


def _read_transcript(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            raise UsageError(f"transcript file not found: {path} (check the path)")
        if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise UsageError(f"transcript file is larger than 256 KiB: {path}")
        try:
            value = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"transcript file is not UTF-8 text: {path}") from None
    if not value.strip():
        raise UsageError("transcript is empty (give the words spoken, or omit --transcript)")
    return value.strip()


def _progress_sink(json_progress: bool) -> Any:
    from studio.progress_view import JsonLinesProgress, TerminalProgressBar

    if json_progress:
        return JsonLinesProgress()
    if sys.stderr.isatty():
        return TerminalProgressBar()
    return None


def _talking_head(args: argparse.Namespace, size: tuple[int, int]) -> Any:
    """The talking-head request of ``render``'s options (``None`` for the rig)."""
    if args.generator != "talking-head":
        if args.reference or args.models:
            raise UsageError("--reference and --models go with --generator talking-head")
        return None
    from studio.talking_head_video import TalkingHeadRequest

    return TalkingHeadRequest(
        reference=Path(args.reference) if args.reference else None,
        config=Path(args.models) if args.models else None, device=args.device,
        steps=args.steps, guidance=args.guidance, strength=args.strength, seed=args.seed,
        ip_adapter_scale=args.ip_adapter_scale, low_memory=args.low_memory, size=size,
        fps=args.fps, batch_size=args.frame_batch)


def _cmd_render(args: argparse.Namespace) -> int:
    from generators.progress import NullProgress
    from studio.render_spec import RenderSpec, render

    outputs = [Path(o) for o in args.output]
    if len({o.resolve() for o in outputs}) != len(outputs):
        raise UsageError("the same output is given twice (each -o needs its own file)")
    controls = {}
    if args.transition is not None:
        controls["emotion_transition"] = args.transition
    if args.follow_voice is not None:
        controls["follow_voice"] = args.follow_voice
    talking = args.generator == "talking-head"
    size = args.size or ((512, 512) if talking else (1280, 720))
    spec = RenderSpec(
        audio=Path(args.audio), transcript=_read_transcript(args.transcript),
        language=args.language, prompt=args.prompt,
        emotion_track=Path(args.emotion_track) if args.emotion_track else None,
        visemes=Path(args.visemes) if args.visemes else None, intensity=args.intensity,
        controls=controls, avatar=Path(args.avatar) if args.avatar else None,
        fps=args.fps, size=size, seed=args.seed, talking_head=_talking_head(args, size),
    )
    sink = _progress_sink(args.json_progress)
    try:
        written = render(spec, outputs, progress=sink or NullProgress())
    finally:
        if sink is not None:
            sink.close()
    if args.json_progress:
        print(json.dumps({"event": "done", "outputs": [str(p) for p in written]}),
              file=sys.stderr)
    for path in written:
        print(path)
    return 0


def _cmd_emotion(args: argparse.Namespace) -> int:
    from generators.emotion import describe, parse_prompt

    info = describe(parse_prompt(args.prompt, args.intensity), args.prompt)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    def mix(weights: dict[str, float]) -> str:
        return ", ".join(f"{name} {weight:.0%}" for name, weight in weights.items()) or "-"

    vad = info["vad"]
    print(f"prompt:     {args.prompt!r}")
    print(f"mixture:    {mix(info['mixture'])}")
    print(f"dominant:   {info['dominant']}   intensity {info['intensity']:.2f}")
    print(f"valence {vad['valence']:+.2f}   arousal {vad['arousal']:+.2f}   "
          f"dominance {vad['dominance']:+.2f}")
    for region, detail in info["regions"].items():
        shapes = ", ".join(f"{n} {v:.2f}" for n, v in list(detail["shapes"].items())[:6]) or "-"
        print(f"{region} face: {mix(detail['mixture'])} ({detail['intensity']:.2f}): {shapes}")
    for note in info["notes"]:
        print(f"note:       {note}")
    return 0


def _cmd_avatar_inspect(args: argparse.Namespace) -> int:
    from renderers.loaders import avatar_targets, load_avatar
    from renderers.loaders.arkit_match import build_report
    from renderers.loaders.mapping_profile import resolve_profile
    from renderers.loaders.vrm import vrm_report_sources

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"avatar file not found: {path} (check the path)")
    avatar = load_avatar(path, args.profile)  # the whole file must load, not only its names
    profile = resolve_profile(path, args.profile)
    meshes = avatar_targets(path)
    report = build_report((n for m in meshes for n in m.target_names), profile,
                          presets=vrm_report_sources(path, avatar))
    vertices = sum(m.vertex_count for m in meshes)
    if args.json:
        print(json.dumps({
            "file": str(path), "vertex_count": vertices, "loaded_meshes": len(avatar.meshes),
            "meshes": [{"name": m.name, "vertices": m.vertex_count,
                        "targets": len(m.target_names)} for m in meshes],
            "arkit": report.to_dict(),
            "notes": list(avatar.notes),
        }, indent=2))
        return 0
    print(f"avatar:   {path.name}")
    print(f"meshes:   {len(meshes)} ({vertices} vertices)")
    width = max((len(m.name) for m in meshes), default=0)
    for m in meshes:
        print(f"  {m.name:<{width}}  {m.vertex_count:>8} vertices  "
              f"{len(m.target_names):>3} targets")
    print(report.format_text())
    for note in avatar.notes:
        print(f"note: {note}")
    return 0


def _user_errors() -> tuple[type[BaseException], ...]:
    from generators.errors import GeneratorError
    from renderers.errors import RendererError
    from studio.errors import StudioError

    return (UsageError, GeneratorError, RendererError, StudioError)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(["gui"] if argv == [] or (argv is None and len(sys.argv) <= 1)
                             else argv)
    if args.self_test_json and not args.self_test:
        parser.error("--json before a command goes with --self-test (give a command's --json "
                     "after the command)")
    if args.self_test:
        if args.command is not None:
            parser.error(f"--self-test runs alone, not with '{args.command}'")
        args.func = _cmd_self_test
    elif args.command is None:
        parser.error("choose a command")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("\nerror: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as Unix tools do
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if isinstance(exc, _user_errors()):
            message = " ".join(str(exc).split())
            print(f"error: {message}", file=sys.stderr)
            return 2
        if os.environ.get("AFFECT_STUDIO_DEBUG"):
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} "
              "(set AFFECT_STUDIO_DEBUG=1 for a traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
