"""Procedural generator of the default stylized head (used only by ``build_default_avatar``).

Each module has one job:

* :mod:`.spec` the proportions; :mod:`.sdf` the implicit skull and a ray caster;
* :mod:`.skin` the head skin (rows cast onto the skull, a lip slit, sculpted lips);
* :mod:`.eyeframe` eye-local angles and the eye opening; :mod:`.lids` the eyelid shells;
  :mod:`.socket` the cut that opens the skin over the eyes; :mod:`.eyes` the eyeballs;
* :mod:`.features` ears and brows; :mod:`.mouth` inner lips, mouth bag, teeth, tongue;
  :mod:`.hair` the hair cap;
* :mod:`.assemble` the glTF meshes; :mod:`.shapes` the 52 ARKit morph targets;
  :mod:`.glb` the writer; :mod:`.meshkit` small mesh utilities.

Only numpy (and pygltflib for writing) is used, and nothing is random, so the output is
reproducible byte for byte.
"""
