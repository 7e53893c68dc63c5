"""Chunked, compressed HDF5 writing of the point-cloud data set (layout in docs/pointcloud.md)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from evenet.pointcloud.schema import SCHEMA_VERSION

COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
CHUNK_ROWS = 4096


class PointCloudWriter:
    """Append per-event arrays to resizable datasets; each dataset is created at its first chunk."""

    def __init__(self, path: Path, attrs: dict):
        self.file = h5py.File(path, "w")
        self.file.attrs["schema_version"] = SCHEMA_VERSION
        for key, value in attrs.items():
            self.file.attrs[key] = value
        self.n_events = 0

    def append(self, datasets: dict[str, np.ndarray], feature_names: dict[str, tuple[str, ...]]) -> None:
        """``datasets``: path -> array with the event axis first, all of one length."""
        lengths = {len(a) for a in datasets.values()}
        if len(lengths) != 1:
            raise ValueError(f"datasets of unequal length: { {k: len(v) for k, v in datasets.items()} }")
        n = lengths.pop()
        for name, array in datasets.items():
            if name not in self.file:
                if self.n_events:
                    raise ValueError(f"dataset {name} appeared after {self.n_events} events were written")
                ds = self.file.create_dataset(
                    name, shape=(0,) + array.shape[1:], maxshape=(None,) + array.shape[1:], dtype=array.dtype,
                    chunks=(CHUNK_ROWS,) + array.shape[1:], **COMPRESSION,
                )
                if name in feature_names:
                    ds.attrs["features"] = list(feature_names[name])
            ds = self.file[name]
            ds.resize(self.n_events + n, axis=0)
            ds[self.n_events :] = array
        self.n_events += n

    def group_attrs(self, group: str, attrs: dict) -> None:
        """Attributes of a group (created if no dataset made it yet, e.g. for an empty sample)."""
        self.file.require_group(group).attrs.update(attrs)

    def close(self) -> None:
        self.file.attrs["n_events"] = self.n_events
        self.file.close()
