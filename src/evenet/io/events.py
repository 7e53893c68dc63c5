"""The reader-independent event record that flows between ingest, selection and build.

Both readers (:mod:`evenet.io.nanoaod`, :mod:`evenet.io.delphes`) turn a chunk of
their tree into one ``awkward.Array`` of events with the fields below, so that
everything downstream is written once for both formats. Units are GeV and
radians. Collections are jagged, sorted as the file has them (both formats
store objects in decreasing pt).

==============  ===========================================================
field           content
==============  ===========================================================
``Electron``    pt, eta, phi, mass, charge
``Muon``        pt, eta, phi, mass, charge, and where the format has them:
                pfRelIso04_all, ip3d, dxy, dz, tightId (bool)
``Tau``         pt, eta, phi, mass, charge (hadronic taus)
``Photon``      pt, eta, phi, mass
``Jet``         pt, eta, phi, mass, btag (continuous discriminant in [0, 1];
                Delphes' bit-mask ``BTag`` gives 0 or 1), hadronFlavour (-1
                where the format has none)
``MET``         record: pt, phi
``GenPart``     simulation only: pt, eta, phi, mass, pdgId, motherIdx (index
                into the same event's GenPart, -1 for none), status,
                statusFlags (NanoAOD bit convention, evenet.codes; Delphes
                files get them derived by evenet.genflags)
``genWeight``   generator weight (1.0 for collision data)
``run``         run number (Delphes: 1)
``luminosityBlock``  (Delphes: 1)
``event``       event number (Delphes: ``Event.Number``, else the entry index)
==============  ===========================================================

``GenPart`` is absent (not empty) for collision data; downstream code tests
``"GenPart" in events.fields``.
"""

from __future__ import annotations

OBJECT_COLLECTIONS = ("Electron", "Muon", "Tau", "Photon", "Jet")
KINEMATIC_FIELDS = ("pt", "eta", "phi", "mass")
MUON_ID_FIELDS = ("pfRelIso04_all", "ip3d", "dxy", "dz", "tightId")
GENPART_FIELDS = ("pt", "eta", "phi", "mass", "pdgId", "motherIdx", "status", "statusFlags")
