"""The reader-independent event record that flows between ingest, selection and build.

Both readers (NanoAOD, and Delphes via :mod:`evenet.io.delphes`) turn a chunk of
their tree into one ``awkward.Array`` of events with the fields below, so that
everything downstream is written once for both formats. Units are GeV, radians
and cm. Collections are jagged, sorted as the file has them (both formats store
objects in decreasing pt).

==============  ===========================================================
field           content
==============  ===========================================================
``Electron``    pt, eta, phi, mass, charge
``Muon``        pt, eta, phi, mass, charge, and where the format has them
                (``MUON_ID_FIELDS``): pfRelIso04_all, ip3d, sip3d, dxy, dz
                (cm), looseId, mediumId, tightId, softId (bool)
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
``HLT``         record of trigger bits (bool) the selection asked for, named
                without the ``HLT_`` prefix of their NanoAOD branch
``genWeight``   generator weight (1.0 for collision data)
``run``         run number (1 where the file has none)
``luminosityBlock``  (1 where the file has none)
``event``       event number (Delphes: ``Event.Number``); without event
                numbers in the file, the entry index in the file
==============  ===========================================================

Only what the selection needs is read (:mod:`evenet.io.needs`): a collection no
selection of the sample uses is absent from the record; an optional one that
the file lacks is present and empty. ``GenPart`` is absent for collision data
and when no stream of the sample asks for truth; downstream code tests
``"GenPart" in events.fields``. Which branches identified the events is the
file's ``event_id`` (one of ``EVENT_IDS``).
"""

from __future__ import annotations

OBJECT_COLLECTIONS = ("Electron", "Muon", "Tau", "Photon", "Jet")
KINEMATIC_FIELDS = ("pt", "eta", "phi", "mass")
MUON_ID_FIELDS = ("pfRelIso04_all", "ip3d", "sip3d", "dxy", "dz", "looseId", "mediumId", "tightId", "softId")
GENPART_FIELDS = ("pt", "eta", "phi", "mass", "pdgId", "motherIdx", "status", "statusFlags")

# How events are identified (and so split): the branches used, or the entry index.
EVENT_ID_RUN_LUMI_EVENT = "run/luminosityBlock/event"
EVENT_ID_DELPHES = "Event.Number"
EVENT_ID_ENTRY = "entry index"
EVENT_IDS = (EVENT_ID_RUN_LUMI_EVENT, EVENT_ID_DELPHES, EVENT_ID_ENTRY)
