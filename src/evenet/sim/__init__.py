"""Embedded demo event generation: Pythia 8 hard processes, a parametric detector,
and writers for CMS NanoAOD and (flat) Delphes ROOT files.

Entry point: :func:`evenet.sim.sample.generate_sample`; process names live in
:mod:`evenet.sim.processes`; see docs/generator.md.
"""
