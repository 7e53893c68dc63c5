"""Chunked Parquet files between pipeline stages (ingested events, selected events).

Awkward records go through Arrow unchanged; each chunk is one row group, so
a reader streams them back with bounded memory. File-level facts (sum of
generator weights, source file) ride in the schema's key-value metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import awkward as ak
import pyarrow as pa
import pyarrow.parquet as pq

from evenet.errors import InputFileError

META_KEY = b"evenet"


class ChunkWriter:
    """Append awkward chunks to one Parquet file; ``metadata`` is stored as JSON."""

    def __init__(self, path: Path, metadata: dict):
        self.path = path
        self.metadata = {META_KEY: json.dumps(metadata).encode()}
        self._writer: pq.ParquetWriter | None = None

    def write(self, chunk: ak.Array) -> None:
        table = ak.to_arrow_table(chunk, extensionarray=False)
        if self._writer is None:
            schema = table.schema.with_metadata(self.metadata)
            self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        if self._writer is None:
            raise RuntimeError(f"{self.path}: no chunk written (write an empty chunk for empty input)")
        self._writer.close()


def _open(path: str | Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None


def read_metadata(path: str | Path) -> dict:
    meta = _open(path).schema_arrow.metadata or {}
    if META_KEY not in meta:
        raise InputFileError(f"{path}: no evenet metadata (not written by this pipeline?)")
    return json.loads(meta[META_KEY])


def iterate_chunks(path: str | Path, batch_size: int = 100_000) -> Iterator[ak.Array]:
    """Yield the file's rows as awkward chunks; a file of zero rows yields one empty chunk."""
    pf = _open(path)
    if pf.metadata.num_rows == 0:
        yield ak.from_arrow(pf.schema_arrow.empty_table())
        return
    for batch in pf.iter_batches(batch_size=batch_size):
        yield ak.from_arrow(batch)
