"""The rig generator: a chain of small pure passes from a voice line to ARKit-52 curves.

Analysis (expensive, audio + transcript + language only):

* :mod:`~generators.rig.energy`: RMS loudness envelope;
* :mod:`~generators.rig.text_normalise`, :mod:`~generators.rig.pronunciation`,
  :mod:`~generators.rig.letter_to_sound`: transcript -> words -> phones;
* :mod:`~generators.rig.sphinx`, :mod:`~generators.rig.forced_alignment`,
  :mod:`~generators.rig.phone_recognition`: PocketSphinx (offline, bundled en-US model);
* :mod:`~generators.rig.transcript_check`: is the transcript what is said?
  :mod:`~generators.rig.transcript_alignment`: that check and the alignment, for one utterance;
* :mod:`~generators.rig.voice_activity`, :mod:`~generators.rig.long_alignment`: long clips cut
  at pauses and aligned stretch by stretch, a stretch whose words do not fit falling back to
  phone recognition;
* :mod:`~generators.rig.acoustic_lipsync`: any language: syllables, pauses and coarse mouth
  shapes from the sound alone; :mod:`~generators.rig.language_check`: can the English
  recogniser follow the voice (``language="auto"``)?
* :mod:`~generators.rig.lipsync`: the lip-sync analysis pass tying those together.

Mapping (cheap, re-run when a slider moves):

* :mod:`~generators.rig.visemes`: phones -> visemes, viseme -> ARKit targets
  (``assets/presets/visemes.json``);
* :mod:`~generators.rig.coarticulation`: visemes -> smooth mouth curves with real closures;
* :mod:`~generators.rig.emotion_layer`: emotion curves layered over lip sync;
* :mod:`~generators.rig.blinks`, :mod:`~generators.rig.head_motion`,
  :mod:`~generators.rig.gaze`: blinks, head sway and nods, saccades and eyeLook shapes;
* :mod:`~generators.rig.generator`: :class:`~generators.rig.generator.RigGenerator`.
"""
