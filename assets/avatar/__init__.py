"""The default avatar: ``default_head.glb`` and the deterministic script that builds it."""
