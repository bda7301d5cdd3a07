"""The talking-head generator: portrait video from the rig's take through a ControlNet-guided
diffusion model. An optional extra (``affect-studio[diffusion]``): torch and diffusers are
imported only by the modules that need them, never by this package itself."""
