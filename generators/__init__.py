"""Floor 2: audio and emotion prompts in, an animation Take out."""
