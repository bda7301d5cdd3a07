"""Procedural generator of the default stylized head (used only by ``build_default_avatar``).

Each module has one job: :mod:`.spec` holds the proportions, :mod:`.sdf` the implicit skull,
:mod:`.skin` the face surface with its mouth slit, :mod:`.eyes`, :mod:`.lids`, :mod:`.features`,
:mod:`.mouth` and :mod:`.hair` the other parts, :mod:`.shapes` the 52 ARKit morph targets, and
:mod:`.glb` the glTF writer.
"""
