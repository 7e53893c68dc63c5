"""Statistics shared by the analyses (efficiencies, SIC, pairing purity, fits, limits).

Import from the submodules, e.g. ``from evenet.stats.sic import sic_scan``; this
package exports nothing itself, so branches can add modules without touching it.
"""
