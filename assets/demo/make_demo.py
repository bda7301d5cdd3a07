"""Rebuild the bundled demo voice line with eSpeak NG (synthetic speech, no third-party audio).

Run from the repository root (needs ``apt-get install espeak-ng``)::

    .venv/bin/python assets/demo/make_demo.py

Writes ``assets/demo/greeting.flac`` (16 kHz mono) and ``assets/demo/greeting.txt``.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

TEXT = "Hi there! I'm so happy to finally meet you. Shall we make some faces together?"
VOICE = "en-us+f3"
RATE_WPM = 150
PITCH = 55


def main() -> None:
    """Synthesise the demo line and write it beside this script."""
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "greeting.wav"
        subprocess.run(
            ["espeak-ng", "-v", VOICE, "-s", str(RATE_WPM), "-p", str(PITCH), "-w", str(wav), TEXT],
            check=True,
        )
        data, rate = sf.read(wav, dtype="float32")
    data = resample_poly(data, 16000, rate).astype(np.float32)
    pad = np.zeros(int(0.25 * 16000), dtype=np.float32)  # a breath of silence at both ends
    data = np.concatenate([pad, data * (0.9 / max(1e-6, float(np.abs(data).max()))), pad])
    sf.write(here / "greeting.flac", data, 16000, subtype="PCM_16")
    (here / "greeting.txt").write_text(TEXT + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
