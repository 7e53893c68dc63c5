"""H -> aa -> 4b: classification with assignment or segmentation against the SPANet baseline (docs/haa.md)."""
