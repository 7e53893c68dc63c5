"""EveNet model core: PET body, heads, diffusion, presets (see docs/model.md)."""
