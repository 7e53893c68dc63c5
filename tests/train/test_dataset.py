"""The streaming reader: every selected event exactly once per epoch, seeded order, shards, skipping."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from evenet.errors import ConfigError, InputFileError
from evenet.train.config import load_config
from evenet.train.datamodule import PointCloudDataModule
from evenet.train.dataset import PointCloudStream, expand_inputs, index_blocks


def _events(stream) -> np.ndarray:
    """(file label, event number) pairs in the order the stream yields them."""
    pairs = []
    for batch in stream:
        # The synthetic event number is encoded nowhere in the batch; label + first pt identify it.
        pairs.extend(zip(batch["process"].tolist(), batch["source"][:, 0, 1].tolist()))
    return np.array(pairs)


def _truth(files, split_code: int) -> set:
    out = set()
    for f in files:
        with h5py.File(f) as h:
            keep = h["META/split"][:] == split_code
            out |= set(zip(h["CLASSIFICATIONS/EVENT/process"][:][keep].tolist(),
                           h["INPUTS/Source/data"][:, 0, 1][keep].tolist()))
    return out


def _stream(files, **kw):
    chunk = kw.pop("chunk", 50)
    return PointCloudStream(files, index_blocks(files, kw.pop("split", "train"), chunk), kw.pop("batch", 16), **kw)


def test_one_epoch_covers_the_split_once(stream):
    files, _ = stream
    s = _stream(files, drop_last=False, shuffle_blocks=3)
    seen = _events(s)
    assert len(seen) == s.n_events == 480  # 8 of 10 event-number digits are train, 2 x 300 events
    assert {tuple(p) for p in seen} == _truth(files, 0)
    # Both classes appear within the first batches: the shuffle window mixes files.
    assert len(set(seen[:32, 0])) == 2


def test_order_is_seeded_per_epoch(stream):
    files, _ = stream
    a, b = _stream(files, seed=1), _stream(files, seed=1)
    first = _events(a)
    np.testing.assert_array_equal(first, _events(b))
    a.epoch = 1
    assert not np.array_equal(first, _events(a))
    assert not np.array_equal(first, _events(_stream(files, seed=2)))


def test_shards_partition_the_stream_and_skip_is_exact(stream):
    files, _ = stream
    whole = _events(_stream(files, seed=4, drop_last=False, batch=10))
    shards = [_events(_stream(files, seed=4, world_size=3, rank=r, batch=10)) for r in range(3)]
    assert len({len(s) for s in shards}) == 1  # equal batches on every rank
    m = 480 // 3
    for r, s in enumerate(shards):
        np.testing.assert_array_equal(s, whole[r * m : r * m + len(s)])
    resumed = _stream(files, seed=4, world_size=3, rank=1, batch=10)
    resumed.skip_batches = 7
    np.testing.assert_array_equal(_events(resumed), shards[1][70:])


def test_train_fraction_is_a_nested_subset(stream):
    files, _ = stream
    small = sum(len(b.rows) for b in index_blocks(files, "train", 50, fraction=0.1))
    large_blocks = index_blocks(files, "train", 50, fraction=0.5)
    large = sum(len(b.rows) for b in large_blocks)
    assert 40 < small < 56 and 230 < large < 250  # round(f x N) per stratum: about 48 and 240
    small_rows = {(b.file, r) for b in index_blocks(files, "train", 50, fraction=0.1) for r in b.rows}
    assert small_rows <= {(b.file, r) for b in large_blocks for r in b.rows}


def test_targets_weights_and_invisible(stream):
    files, _ = stream
    s = _stream(files, resonances={"a1": ["b2", "b1"]}, physical_weights=True)
    batch = next(iter(s))
    assert batch["targets"]["a1"].shape == (16, 2)
    assert (batch["targets"]["a1"] == np.array([1, 0])).all()  # product order as requested
    np.testing.assert_allclose(batch["weight"], 0.5 + batch["process"].numpy())  # synthetic weight = 0.5 + label
    assert batch["invisible"].shape == (16, 2, 4) and batch["invisible_mask"].all()


def test_product_without_targets_is_an_error_not_unmatched(stream):
    files, _ = stream
    s = _stream(files, resonances={"a1": ["b1", "b3"]})
    with pytest.raises(InputFileError, match=r"missing dataset TARGETS/a1/b3$"):
        next(iter(s))


def test_subset_seed_draws_the_subset_nested_across_fractions(stream):
    files, _ = stream

    def rows(fraction, subset_seed):
        return {(b.file, r) for b in index_blocks(files, "train", 50, fraction, subset_seed) for r in b.rows}

    for seed in (1, 2):
        assert rows(0.1, seed) <= rows(0.3, seed) <= rows(1.0, seed)
    assert rows(0.3, 1) != rows(0.3, 2)  # another seed, another subset
    config = load_config(None, ["model.heads={classification: {num_classes: 2}}", "data.subset_seed=5"])
    assert config["data"]["subset_seed"] == 5


def test_bad_inputs(tmp_path):
    with pytest.raises(InputFileError, match="no such"):
        expand_inputs([tmp_path / "nothing.h5"])
    with pytest.raises(InputFileError, match="no point-cloud"):
        expand_inputs([tmp_path])
    with pytest.raises(ConfigError, match="data.train_fraction"):
        load_config(None, ["model.heads={classification: {num_classes: 2}}", "data.train_fraction=0"])
    with pytest.raises(ConfigError, match="unknown key 'optimizer.learning_rate'"):
        load_config(None, ["model.heads={classification: {num_classes: 2}}", "optimizer.learning_rate=1"])


def test_training_set_smaller_than_a_batch_trains_as_one_partial_batch(stream):
    files, _ = stream
    config = load_config(None, ["model.heads={classification: {num_classes: 2}}", "data.batch_size=64",
                                "data.train_fraction=0.02", "data.subset_seed=1", "data.load_targets=false"])
    module = PointCloudDataModule(files, config["data"], config["model"]["heads"])
    module.setup()
    events = module.train_set.n_events
    assert 0 < events < 64  # about 10 of the 480 training events
    assert len(module.train_set) == 1
    assert [len(batch["process"]) for batch in module.train_set] == [events]
