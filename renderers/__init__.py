"""Floor 1: how an avatar looks and moves (meshes, poses, GL rendering)."""
