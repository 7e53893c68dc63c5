"""Physics helpers: four-vectors, neutrino pz, topness."""
