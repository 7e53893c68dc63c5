"""Systematic pseudo-experiments: JES and soft-MET variations of the selected objects.

A variation is applied to the output of ``evenet select`` (never to the ROOT files),
the selection's object thresholds and event cuts are applied again, and the shifted
point cloud is built, so a trained model is evaluated on shifted inputs without
retraining (EveNet paper, Sec. VII). Import from the submodules; docs/systematics.md
says what each does.
"""
