"""Editing an avatar's ARKit mapping: which morph target drives each of the 52 ARKit shapes.

The editor works on target-name overrides (a :class:`~renderers.loaders.mapping_profile.
MappingProfile`) on top of the automatic matching, and always shows what the loader will do
with them: every edit is checked with :func:`~renderers.loaders.arkit_match.build_report`, the
same matching the loader applies. Rules of the profile format shape the edits:

* a target drives at most one ARKit shape: choosing it for one shape takes it from another
  (:meth:`MappingEdit.choose` returns the shapes left without a target);
* a target taken off a shape that nothing else uses is ignored (``null`` in the profile);
* a target split across both sides (``mouthSmile`` -> ``mouthSmileLeft``/``Right``) that is
  taken off one side drives the other side whole.

Only the entries that change the outcome are saved (:meth:`MappingEdit.profile`).

Examples
--------
>>> edit = MappingEdit.start(["jawOpen", "mouthSmile_L", "mouthSmile_R"])
>>> edit.sources("mouthSmileLeft"), edit.how("mouthSmileLeft")
(('mouthSmile_L',), 'side')
>>> edit.choose("jawOpen", "mouthSmile_L")
['mouthSmileLeft']
>>> dict(edit.profile().map)
{'jawOpen': None, 'mouthSmile_L': 'jawOpen'}
>>> edit.reset(); dict(edit.profile().map)
{}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from renderers.arkit import ARKIT_NAMES
from renderers.errors import AvatarError
from renderers.loaders.arkit_match import MatchReport, build_report, unique_names
from renderers.loaders.mapping_profile import (
    LIPS_CHOICES,
    MAX_ENTRIES,
    MappingProfile,
    load_profile,
    profile_path_for,
    save_profile,
)

__all__ = ["MAX_TARGETS", "MappingData", "MappingEdit", "read_mapping_data", "target_names",
           "write_profile"]

MAX_TARGETS = MAX_ENTRIES
"""Most distinct morph-target names the editor lists (a profile cannot hold more)."""


def _outcome(report: MatchReport) -> tuple[object, ...]:
    """What the loader does with the names: which targets drive each shape, what is split,
    kept as a viseme or ignored (not how a match was found, nor in which order)."""
    return (tuple((s.arkit, s.sources) for s in report.shapes), report.shared,
            report.visemes, frozenset(report.ignored))


@dataclass(frozen=True)
class MappingData:
    """What the mapping editor needs from an avatar file (read by :func:`read_mapping_data`).

    Parameters
    ----------
    avatar_path
        The avatar file.
    target_names
        Its distinct morph-target names, in file order.
    profile
        The mapping profile beside it (``<stem>.mapping.json``), or ``None``.
    profile_problem
        Why that profile could not be read (the editor then starts from the automatic
        match, and saving replaces the file); empty when it was read or absent.
    """

    avatar_path: Path
    target_names: tuple[str, ...]
    profile: MappingProfile | None = None
    profile_problem: str = ""

    @property
    def profile_path(self) -> Path:
        """Where the profile of this avatar is saved."""
        return profile_path_for(self.avatar_path)


def target_names(avatar_path: str | Path) -> tuple[str, ...]:
    """The distinct morph-target names of an avatar file as it spells them, in file order.

    glTF, GLB and VRM: the targets of the meshes the scene uses (only headers are read);
    OBJ: the stems of the files in its shapes folder.

    Raises
    ------
    AvatarError
        The file is missing or malformed, or an OBJ has no shapes folder.
    """
    from renderers.loaders import avatar_targets

    return tuple(unique_names(n for m in avatar_targets(avatar_path) for n in m.target_names))


def read_mapping_data(avatar_path: str | Path) -> MappingData:
    """Read the morph-target names and the mapping profile of an avatar file.

    Only the names are read (no vertex data); safe on a worker thread.

    Raises
    ------
    AvatarError
        The avatar file is missing or malformed, or has more target names than a profile can
        list.
    """
    path = Path(avatar_path)
    names = target_names(path)
    if len(names) > MAX_TARGETS:
        raise AvatarError(f"{path.name}: {len(names)} morph-target names, more than the "
                          f"{MAX_TARGETS} the mapping editor lists; edit its "
                          f"{profile_path_for(path).name} by hand")
    profile: MappingProfile | None = None
    problem = ""
    sibling = profile_path_for(path)
    if sibling.is_file():
        try:
            profile = load_profile(sibling)
        except AvatarError as exc:
            problem = " ".join(str(exc).split())
    return MappingData(path, names, profile, problem)


def write_profile(profile: MappingProfile, path: str | Path) -> Path | None:
    """Save ``profile`` atomically, or remove the file when the profile is empty.

    Returns
    -------
    Path or None
        The written file, or ``None`` when there was nothing to write.

    Raises
    ------
    OSError
        The folder cannot be written; an existing file is then left as it was.
    """
    p = Path(path)
    if profile.is_empty:
        p.unlink(missing_ok=True)
        return None
    return save_profile(profile, p)


class MappingEdit:
    """The ARKit mapping of one avatar's morph targets, being edited.

    Build it with :meth:`start`. Entries of the starting profile for targets the avatar
    lacks are kept as they are (until :meth:`reset`).
    """

    def __init__(self, names: Iterable[str], overrides: dict[str, str | None],
                 absent: dict[str, str | None], lips: str = "auto") -> None:
        self.names: tuple[str, ...] = tuple(unique_names(names))
        self._overrides = dict(overrides)
        self._absent = dict(absent)
        self.lips = lips
        """What forms the lips (``"auto"``, ``"arkit"`` or ``"visemes"``: see
        :data:`renderers.loaders.mapping_profile.LIPS_CHOICES`)."""
        self._automatic = build_report(self.names)
        self._report: MatchReport | None = None
        self._initial = self.profile().to_json()

    @classmethod
    def start(cls, names: Iterable[str], profile: MappingProfile | None = None) -> MappingEdit:
        """Start editing the mapping of ``names`` (morph-target names) from ``profile``."""
        listed = tuple(unique_names(names))
        present = set(listed)
        entries = dict(profile.map) if profile is not None else {}
        return cls(listed, {k: v for k, v in entries.items() if k in present},
                   {k: v for k, v in entries.items() if k not in present},
                   profile.lips if profile is not None else "auto")

    # -- what the loader will do ----------------------------------------------------------

    @property
    def report(self) -> MatchReport:
        """The matching with the current entries (what the loader will do)."""
        if self._report is None:
            self._report = build_report(self.names, self._profile_of(self._overrides))
        return self._report

    @property
    def automatic(self) -> MatchReport:
        """The matching without any profile."""
        return self._automatic

    def sources(self, arkit: str) -> tuple[str, ...]:
        """The targets driving the ARKit shape ``arkit`` (empty when none does)."""
        return self.report.shape(arkit).sources

    def how(self, arkit: str) -> str:
        """How ``arkit`` is matched: ``exact``, ``side``, ``prefix``, ``halves``, ``split``,
        ``profile``... or ``missing``."""
        return self.report.shape(arkit).how

    @property
    def changed(self) -> bool:
        """Whether the profile to save differs from the one the edit started from."""
        return self.profile().to_json() != self._initial

    # -- edits -----------------------------------------------------------------------------

    def choose(self, arkit: str, target: str | None) -> list[str]:
        """Let ``target`` drive ``arkit`` (``None``: nothing drives it, its target is ignored).

        Returns
        -------
        list of str
            Other ARKit shapes that had a target and now have none (the target was theirs).

        Raises
        ------
        AvatarError
            ``arkit`` is not an ARKit-52 name or ``target`` is not one of the avatar's targets.
        """
        if arkit not in ARKIT_NAMES:
            raise AvatarError(f"{arkit[:60]!r} is not an ARKit-52 shape; pick one of the 52 rows")
        if target is not None and target not in self.names:
            raise AvatarError(f"the avatar has no morph target {target[:60]!r}; pick one of its "
                              "targets or (none)")
        before = {s.arkit: s.sources for s in self.report.shapes}
        current = before[arkit]
        if current == (() if target is None else (target,)):
            return []
        for source in current:
            if source == target:
                continue
            others = [a for a, srcs in before.items() if a != arkit and source in srcs]
            self._overrides[source] = others[0] if len(others) == 1 else None
        if target is not None:
            self._overrides[target] = arkit
        self._report = None
        after = self.report
        return [a for a in ARKIT_NAMES
                if a != arkit and before[a] and not after.shape(a).sources]

    def set_lips(self, choice: str) -> None:
        """Choose what forms the lips (one of ``auto``, ``arkit``, ``visemes``).

        Raises
        ------
        AvatarError
            ``choice`` is none of them.
        """
        if choice not in LIPS_CHOICES:
            raise AvatarError(f"lips must be one of {', '.join(LIPS_CHOICES)}, not "
                              f"{choice[:40]!r}")
        self.lips = choice
        self._report = None

    def reset(self) -> None:
        """Back to the automatic match: no entry at all, automatic lips."""
        self._overrides.clear()
        self._absent.clear()
        self.lips = "auto"
        self._report = None

    # -- result ----------------------------------------------------------------------------

    def profile(self) -> MappingProfile:
        """The entries that change the outcome of the automatic match (plus the kept entries
        for targets the avatar lacks), in target order."""
        wanted = _outcome(self.report)
        entries = dict(self._overrides)
        for name in list(entries):
            trial = {k: v for k, v in entries.items() if k != name}
            if _outcome(build_report(self.names, self._profile_of(trial))) == wanted:
                entries = trial
        order = {name: i for i, name in enumerate(self.names)}
        kept = sorted(entries.items(), key=lambda kv: order[kv[0]])
        return MappingProfile(dict(kept) | self._absent, lips=self.lips)

    def _profile_of(self, entries: dict[str, str | None]) -> MappingProfile | None:
        if not entries and self.lips == "auto":
            return None
        return MappingProfile(entries, lips=self.lips)
