"""Figures shared by the analyses: one mplhep style, PNG + PDF output with a caption file.

Import from the submodules, e.g. ``from evenet.plots.figures import save_figure``;
this package exports nothing itself.
"""
