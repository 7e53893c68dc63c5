"""Generator truth for the supervised heads: decay trees, parton-object matching, neutrinos, weights."""
