"""The point-cloud HDF5 data set: schema, feature building, splits, writing, normalisation."""
