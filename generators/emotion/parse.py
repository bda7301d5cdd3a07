"""Free-text emotion prompts ("quietly furious", "nervous but hopeful") -> :class:`EmotionState`.

The grammar is deliberately small and forgiving:

* emotion words and phrases from the lexicon ("furious", "grossed out", "over the moon"), also
  as adverbs or nouns ("angrily", "nervousness");
* modifiers before a word scale its intensity ("slightly", "a bit", "very", "extremely"), shift
  its valence/arousal/dominance ("quietly", "calmly", "wildly") or its share of a mix ("mostly",
  "a hint of"); they apply to the next emotion word only;
* "not"/"no"/"never"/"n't" turns the next word into its opposite at reduced strength ("not happy"
  -> glum, "not angry" -> calm), ignoring that word's modifiers;
* several words make a mix ("nervous but hopeful", "happy and surprised", "sad, angry"), each
  weighted by its intensity and modifiers; explicit weights may follow a word ("anger:0.7,
  joy:0.3", "anger 70%") or precede it ("70% angry"), missing weights share what is left of 1;
* face-region words ("sad eyes", "smiling mouth") and display rules ("trying to hide her fear",
  "quietly furious", "forced smile") decide what each half of the face shows
  (:mod:`generators.emotion.display_rules`);
* a clause with no known emotion word has its unknown words read as a misspelling of a known
  word ("hapy") or, failing that, by meaning with the sentence encoder
  (:mod:`generators.emotion.open_vocabulary`); other unknown words are ignored. Every such
  reading is listed in the state's ``notes``.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field

from generators.emotion.display_rules import (
    DisplayRules,
    Part,
    Role,
    get_display_rules,
    region_parts,
    region_state,
)
from generators.emotion.intensity import check_intensity
from generators.emotion.lexicon import Lexicon, Modifier, WordEntry, get_lexicon
from generators.errors import PromptError
from generators.take import EmotionState

__all__ = ["MAX_PROMPT_LENGTH", "known_emotions", "parse_prompt", "tokenize"]

MAX_PROMPT_LENGTH: int = 500
"""Longest prompt accepted, in characters."""

_TOKEN = re.compile(
    r"\d+(?:\.\d+)?%?|\.\d+%?|[^\W\d_]+(?:'[^\W\d_]+)?|[,;:/+&=()!?.]"
)
_SEPARATORS = frozenset(",;/+&()!?.")
_WEIGHT_MARKS = frozenset(":=")
QUALIFIED_MOUTH_WEIGHT: float = 0.5
"""Share of a smile-like word ("smile", "grin") against the emotion word qualifying it."""

_TYPO = 0.85  # difflib ratio above which an unknown word is taken as a misspelt known one
_ROLE_OF: dict[str, Role] = {"hide": "hidden", "control": "controlled", "display": "display"}
_ROLE_NOTE: dict[str, str] = {
    "hidden": "{w!r} is hidden: it leaks in the brows and eyes at {leak:.0%}, "
    "the mouth keeps a mask",
    "controlled": "{w!r} is held back: the brows show it at {up:.0%}, the lips press together",
    "display": "{w!r} is put on: the mouth shows it (a smile without the eyes), it is barely felt",
}


def tokenize(prompt: str) -> list[str]:
    """Split a prompt into lower-case words, numbers and punctuation.

    Contractions are expanded ("isn't" -> "is not") and hyphens split words.

    Examples
    --------
    >>> tokenize("Isn't grossed-out; anger:0.7")
    ['is', 'not', 'grossed', 'out', ';', 'anger', ':', '0.7']
    """
    text = unicodedata.normalize("NFKD", prompt.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # "naïve" -> "naive"
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bwon't\b", "will not", text)
    text = re.sub(r"\bcan't\b", "can not", text)
    text = text.replace("n't", " not").replace("-", " ")
    return _TOKEN.findall(text)


@dataclass
class _Pending:
    """Modifiers seen since the last emotion word."""

    intensity: float = 1.0
    weight: float = 1.0
    vad: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    negate: bool = False
    explicit: float | None = None
    role: Role = "felt"
    region: str | None = None

    def apply(self, mod: Modifier) -> None:
        self.intensity *= mod.intensity
        self.weight *= mod.weight
        self.vad = [a + b for a, b in zip(self.vad, mod.vad, strict=True)]


@dataclass
class _Component:
    """One emotion word of the prompt with its modifiers applied."""

    word: str
    mixture: dict[str, float]
    intensity: float
    vad: tuple[float, float, float]
    weight_factor: float
    explicit: float | None
    role: Role = "felt"
    clause: int = 0
    region: str | None = None
    span: tuple[int, int] = (0, 0)  # token positions [first, last)


def known_emotions() -> list[str]:
    """Every emotion word or phrase the parser understands, sorted.

    Examples
    --------
    >>> "quietly" in known_emotions(), "furious" in known_emotions()
    (False, True)
    """
    return sorted(get_lexicon().words)


def _suggestion_text(lex: Lexicon) -> str:
    return "try e.g. " + ", ".join(lex.suggestions) + ", or a mix like 'nervous but hopeful'"


def _number(token: str, prompt: str) -> float:
    value = float(token.rstrip("%"))
    if token.endswith("%") or value > 1.0:
        if value > 100.0:
            raise PromptError(
                f"weight {token} in {prompt!r} is out of range; use 0..1 or a percentage"
            )
        value /= 100.0
    return value


def _component(
    lex: Lexicon, entry: WordEntry, pending: _Pending, intensity: float | None
) -> _Component:
    if pending.negate:
        target = entry.negation or lex.negation[entry.main_emotion]
        entry = lex.words[target]
        base = entry.intensity if intensity is None else intensity
        strength = base * lex.negation_intensity
        shift = (0.0, 0.0, 0.0)
    else:
        base = entry.intensity if intensity is None else intensity
        strength = base * pending.intensity
        shift = tuple(pending.vad)
    strength = min(1.0, max(0.0, strength))
    scale = math.sqrt(strength)
    vad = tuple(min(1.0, max(-1.0, (v + s) * scale)) for v, s in zip(entry.vad, shift, strict=True))
    return _Component(
        entry.word,
        dict(entry.mixture),
        strength,
        vad,
        pending.weight,
        pending.explicit,
        role=pending.role,
    )


def _combine(components: list[_Component], prompt: str, rules: DisplayRules) -> EmotionState:
    """The felt state: every component mixed by weight (put-on expressions barely count)."""
    if any(c.explicit is not None for c in components):
        given = sum(c.explicit for c in components if c.explicit is not None)
        rest = sum(1 for c in components if c.explicit is None)
        share = max(0.0, 1.0 - given) / rest if rest else 0.0
        weights = [c.explicit if c.explicit is not None else share for c in components]
    else:
        weights = [c.weight_factor * (0.25 + 0.75 * c.intensity) for c in components]
    if any(c.role != "display" for c in components):
        weights = [
            w * (rules.display_felt if c.role == "display" else 1.0)
            for w, c in zip(weights, components, strict=True)
        ]
    total = float(sum(weights))
    if total <= 0.0:
        raise PromptError(
            f"the weights in {prompt!r} add up to zero; give at least one emotion a weight above 0"
        )
    mixture: dict[str, float] = {}
    for w, c in zip(weights, components, strict=True):
        for name, m in c.mixture.items():
            mixture[name] = mixture.get(name, 0.0) + w * m / total
    mixture = {k: v for k, v in mixture.items() if v > 1e-6}
    norm = sum(mixture.values())
    mixture = {k: v / norm for k, v in sorted(mixture.items(), key=lambda kv: -kv[1])}
    intensity = sum(w * c.intensity for w, c in zip(weights, components, strict=True)) / total
    vad = [
        sum(w * c.vad[j] for w, c in zip(weights, components, strict=True)) / total
        for j in range(3)
    ]
    return EmotionState(
        mixture,
        min(1.0, max(0.0, intensity)),
        *(min(1.0, max(-1.0, v)) for v in vad),
    )


def parse_prompt(
    prompt: str,
    intensity: float | None = None,
    *,
    typos: bool = True,
    by_meaning: bool = True,
) -> EmotionState:
    """Understand a free-text emotion prompt.

    Parameters
    ----------
    prompt
        Free text such as ``"happy"``, ``"quietly furious"``, ``"nervous but hopeful"``,
        ``"slightly sad, a hint of anger"`` or ``"anger:0.7, joy:0.3"``. Empty means neutral.
    intensity
        Optional strength 0..1 replacing the strength the words imply ("annoyed" 0.4,
        "furious" 0.95) as the base of every word; modifiers such as "slightly" or "very" still
        scale it and negation still reduces it.
    typos
        Read an unknown word that is close in spelling to a known one as that word, with a
        note ("hapy" -> "happy").
    by_meaning
        Read other unknown words by meaning with the sentence encoder
        (:mod:`generators.emotion.open_vocabulary`). A transcript is read with neither.

    Returns
    -------
    EmotionState
        Mixture of emotion-table entries (weights summing to 1, largest first), overall
        intensity 0..1, valence/arousal/dominance in -1..1 (VAD grows with the square root of
        each word's intensity), what each face region shows when the prompt names regions or
        display rules (``regions``), and ``notes`` on how it was read.

    Raises
    ------
    PromptError
        If no emotion word is recognised, a weight is out of range, the prompt is too long or
        ``intensity`` is not a number in 0..1. The message is one line and names known emotions.

    Examples
    --------
    >>> parse_prompt("furious").mixture
    {'anger': 1.0}
    >>> quiet, loud = parse_prompt("quietly furious"), parse_prompt("furious")
    >>> quiet.arousal < loud.arousal
    True
    >>> sorted(parse_prompt("nervous but hopeful").mixture)
    ['hope', 'nervousness']
    >>> parse_prompt("smiling mouth, sad eyes").shown_by("upper").mixture
    {'sadness': 1.0}
    >>> parse_prompt("anger:0.7, joy:0.3").mixture
    {'anger': 0.7, 'happiness': 0.3}
    >>> parse_prompt("").mixture
    {'neutral': 1.0}
    >>> parse_prompt("xyzzy")
    Traceback (most recent call last):
    ...
    generators.errors.PromptError: unknown emotion 'xyzzy'; try e.g. happy, sad, angry, \
afraid, surprised, disgusted, contemptuous, or a mix like 'nervous but hopeful'
    """
    if intensity is not None:
        intensity = check_intensity(intensity)
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        raise PromptError(f"an emotion prompt must be text, got {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise PromptError(
            f"emotion prompt is {len(prompt)} characters long; keep it under {MAX_PROMPT_LENGTH}"
        )
    tokens = tokenize(prompt)
    if not any(t not in _SEPARATORS for t in tokens):
        if any(not (unicodedata.category(ch).startswith(("P", "Z")) or ch.isspace())
               for ch in prompt):
            raise PromptError(
                f"no emotion word in {prompt.strip()!r:.40}; {_suggestion_text(get_lexicon())}"
            )
        return EmotionState.neutral()

    lex = get_lexicon()
    rules = get_display_rules()
    components: list[_Component] = []
    unknown: list[tuple[int, list[str], _Pending]] = []  # (clause, words, modifiers before)
    rule_words: list[str] = []  # display-rule words, read by meaning if nothing else is found
    pending = _Pending()
    without_notes: list[str] = []  # "-less" words read as the emotion they lack
    attach = False  # a number right after an emotion word is that word's weight
    clause = 0
    i = 0

    def settle_role() -> None:
        # A rule with no emotion word after it ("scared but hiding it", "fear hidden") applies
        # to the emotion before it.
        if pending.role != "felt" and components and components[-1].role == "felt":
            components[-1].role = pending.role

    def new_clause() -> None:
        nonlocal pending, attach, clause
        settle_role()
        pending, attach = _Pending(), False
        clause += 1

    def note_unknown(word: str) -> None:
        if unknown and unknown[-1][0] == clause and unknown[-1][2] is pending:
            unknown[-1][1].append(word)
        else:
            unknown.append((clause, [word], pending))

    while i < len(tokens):
        tok = tokens[i]
        if tok[0].isdigit() or tok[0] == ".":
            if tok == ".":
                new_clause()
            else:
                value = _number(tok, prompt)
                if attach and components[-1].explicit is None:
                    components[-1].explicit = value
                else:
                    pending.explicit = value
                attach = False
            i += 1
            continue
        if tok in _WEIGHT_MARKS:
            i += 1
            continue
        if tok in _SEPARATORS:
            new_clause()
            i += 1
            continue
        rule = rules.match(tokens, i)
        hit = lex.match(tokens, i)
        if hit is None and rule is None and (without := _without_word(lex, tok)) is not None:
            pending.negate = not pending.negate  # "joyless" is "not joyful"
            hit = ("word", without, 1)
            without_notes.append(f"{tok!r} read as 'not {without}'")
        lexicon_first = hit is not None and (hit[2] > rule[1] if rule else True)
        if hit is not None and rule is not None and hit[0] == "modifier" and hit[2] >= rule[1]:
            lexicon_first = True  # "quietly": a modifier whose role the rules add below
        if rule is not None and not lexicon_first:
            kind, length = rule
            rule_words.extend(tokens[i : i + length])
            i += length
            if kind in ("upper", "lower"):
                last = components[-1] if components else None
                if last is not None and last.clause == clause and last.region is None:
                    last.region = kind  # "sad eyes": the word before
                else:
                    pending.region = kind  # "eyes that look sad": the word after
            elif kind == "hidden_after":
                if components:
                    components[-1].role = "hidden"
            elif pending.negate:
                pending.negate = False  # "not hiding fear": shown openly
            else:
                pending.role = _ROLE_OF[kind]
            attach = False
            continue
        if hit is None:
            note_unknown(tok)
            i += 1
            continue
        kind, key, length = hit
        i += length
        if kind == "word":
            comp = _component(lex, lex.words[key], pending, intensity)
            comp.clause = clause
            comp.span = (i - length, i)
            comp.region = pending.region
            components.append(comp)
            pending, attach = _Pending(), True
        elif kind == "modifier":
            pending.apply(lex.modifiers[key])
            rule_kind = rules.kind_of(key)
            if rule_kind in ("hide", "control"):
                pending.role = _ROLE_OF[rule_kind]
            attach = False
        elif kind == "negator":
            pending.negate = not pending.negate
            attach = False
        elif kind == "connector":
            new_clause()
    settle_role()

    notes: list[str] = list(without_notes)
    if not components and not unknown and rule_words:  # "simmering": read the rule words
        unknown.append((clause + 1, rule_words, _Pending()))
    unknown_words = sum(len(words) for _, words, _ in unknown)
    as_sentence = not components and by_meaning and unknown_words >= _situation_words()
    if as_sentence:
        components = _read_situation(prompt, lex, intensity, notes)  # a sentence, as a whole
        if components:
            unknown = []  # its words were read with it
    components = _read_unknown_words(
        components, unknown, lex, intensity, notes, typos=typos, by_meaning=by_meaning
    )
    if not components and unknown and by_meaning and not as_sentence:
        # a short phrase no single word explains
        components = _read_situation(prompt, lex, intensity, notes)
    if not components:
        if unknown:
            word = unknown[0][1][0]
            close = (
                difflib.get_close_matches(word, lex.known_words(), n=1, cutoff=0.8)
                if typos  # a caller reading text, not a prompt typed, wants no spelling hints
                else []
            )
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PromptError(f"unknown emotion {word!r}{hint}; {_suggestion_text(lex)}")
        raise PromptError(f"no emotion word in {prompt.strip()!r}; {_suggestion_text(lex)}")
    for prev, comp in zip(components, components[1:], strict=False):
        if (
            comp.word in rules.mouth_words
            and prev.word not in rules.mouth_words
            and comp.span[0] == prev.span[1]
            and comp.role == prev.role == "felt"
        ):  # "sad smile", "contemptuous smile": a qualified smile, on the mouth
            comp.region = comp.region or "lower"
            comp.weight_factor *= QUALIFIED_MOUTH_WEIGHT
            notes.append(f"{prev.word!r} qualifies the {comp.word!r} on the mouth")
    named_regions = any(c.region is not None for c in components)
    masked = any(c.role == "hidden" for c in components)
    for comp in components:
        if named_regions and comp.region is None and comp.word in rules.mouth_words:
            comp.region = "lower"  # a mouth word ("smile") belongs to the mouth
        if masked and comp.role == "felt" and comp.word in rules.mouth_words:
            comp.role = "display"  # "masking sadness with a smile": the smile is the mask
    state = _combine(components, prompt, rules)
    return _with_regions(state, components, rules, notes)


def _read_unknown_words(
    components: list[_Component],
    unknown: list[tuple[int, list[str], _Pending]],
    lex: Lexicon,
    intensity: float | None,
    notes: list[str],
    *,
    typos: bool,
    by_meaning: bool,
) -> list[_Component]:
    """Read unknown words as misspellings, then by meaning, in clauses where no known emotion
    word was found."""
    known_clauses = {c.clause for c in components}
    todo = [(cl, words, p) for cl, words, p in unknown if cl not in known_clauses]
    if not todo or not (typos or by_meaning):
        return components
    out = list(components)
    rest = []
    for cl, words, pend in todo:  # a misspelt emotion word ("hapy", "furius")
        close = (
            difflib.get_close_matches(" ".join(words), list(lex.words), n=1, cutoff=_TYPO)
            if typos
            else []
        )
        if close:
            comp = _component(lex, lex.words[close[0]], pend, intensity)
            comp.clause = cl
            out.append(comp)
            notes.append(f"{' '.join(words)!r} read as a misspelling of {close[0]!r}")
        else:
            rest.append((cl, words, pend))
    todo = rest
    if not todo or not by_meaning:
        return sorted(out, key=lambda c: c.clause)
    from generators.emotion.open_vocabulary import closest_emotion_words
    from generators.emotion.text_encoder import encoder_available

    if not encoder_available():
        notes.append("words outside the lexicon were skipped (the sentence encoder is missing)")
        return sorted(out, key=lambda c: c.clause)
    texts = [" ".join(words) for _, words, _ in todo]
    for (cl, _, pend), text, match in zip(todo, texts, closest_emotion_words(texts), strict=True):
        if match is None:
            continue
        comp = _component(lex, match.entry, pend, intensity)
        comp.clause = cl
        comp.word = text
        out.append(comp)
        near = ", ".join(f"{w!r} {sim:.2f}" for w, sim in match.neighbours)
        notes.append(f"{text!r} is not in the lexicon: read by meaning as closest to {near}")
    out.sort(key=lambda c: c.clause)
    return out


_NOT_WITHOUT = frozenset({"doubtless", "shameless", "careless", "heedless", "thoughtless"})
"""'-less' words that do not mean being without the feeling ("doubtless" is "surely")."""


def _without_word(lex: Lexicon, token: str) -> str | None:
    """The emotion word a "-less" word lacks ("joyless" -> "joy", "loveless" -> "love"), or
    ``None``: only for a known word that names an emotion (not a neutral one)."""
    if not token.endswith("less") or len(token) < 7 or token in _NOT_WITHOUT:
        return None
    stem = lex.match([token[:-4]], 0)
    if stem is None or stem[0] != "word" or lex.words[stem[1]].main_emotion == "neutral":
        return None
    return stem[1]


def _situation_words() -> int:
    from generators.emotion.situations import MIN_WORDS

    return MIN_WORDS


def _read_situation(
    prompt: str, lex: Lexicon, intensity: float | None, notes: list[str]
) -> list[_Component]:
    """The whole prompt read as a situation (:mod:`generators.emotion.situations`)."""
    from generators.emotion.situations import read_situation
    from generators.emotion.text_encoder import encoder_available

    if not encoder_available():
        return []
    reading = read_situation(prompt)
    if reading is None:
        return []
    comp = _component(lex, reading.entry, _Pending(), intensity)
    comp.word = prompt.strip()
    near = ", ".join(f"{w!r} {sim:.2f}" for w, sim in reading.neighbours[:2])
    notes.append(f"no emotion word: read as a situation like {near}")
    return [comp]


def _with_regions(
    state: EmotionState, components: list[_Component], rules: DisplayRules, notes: list[str]
) -> EmotionState:
    """Add what each face region shows when the prompt names regions or display rules."""
    special = [c for c in components if c.region is not None or c.role != "felt"]
    if not special:
        return EmotionState(
            state.mixture, state.intensity, state.valence, state.arousal, state.dominance,
            notes=tuple(notes),
        )
    parts = [
        Part(c.word, c.mixture, c.intensity, c.vad, c.role, c.region, c.weight_factor)
        for c in components
    ]
    shown = region_parts(parts, rules)
    regions = {name: region_state(items) for name, items in shown.items()}
    for c in special:
        if c.role != "felt":
            notes.append(
                _ROLE_NOTE[c.role].format(w=c.word, leak=rules.leak, up=rules.control_upper)
            )
        if c.region is not None:
            notes.append(f"{c.word!r} is shown by the {c.region} face")
    return EmotionState(
        state.mixture,
        state.intensity,
        state.valence,
        state.arousal,
        state.dominance,
        regions=regions,
        notes=tuple(notes),
    )
