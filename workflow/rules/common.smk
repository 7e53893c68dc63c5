# Input functions and parameter builders shared by the rule files.

import json
import shlex

from evenet.pipeline.ingest import sample_record_needs


def sample_parts(sample):
    """Part indices of a sample: one per generated file or per listed input file."""
    spec = config["samples"][sample]
    if "files" in spec:
        return list(range(len(spec["files"])))
    return list(range(spec["generate"]["parts"]))


def sample_raw_files(sample):
    """A sample's ROOT files: its listed input files, or the generator's parts."""
    spec = config["samples"][sample]
    if "files" in spec:
        return list(spec["files"])
    return expand("results/generated/{sample}/{part}.root", sample=sample, part=sample_parts(sample))


def raw_file(wildcards):
    spec = config["samples"][wildcards.sample]
    part = int(wildcards.part)
    if "files" in spec:
        return spec["files"][part]
    return f"results/generated/{wildcards.sample}/{part}.root"


def sample_needs(sample):
    """What ingest reads for a sample: the union of the needs of the selections of the streams it feeds."""
    return sample_record_needs(config, SELECTIONS, sample).to_json()


def ingested_files(wildcards):
    return expand("results/ingested/{sample}/{part}.parquet", sample=wildcards.sample, part=sample_parts(wildcards.sample))


def stream_samples(stream):
    return [s for members in config["streams"][stream]["classes"].values() for s in members]


def sample_label(stream, sample):
    for label, members in enumerate(config["streams"][stream]["classes"].values()):
        if sample in members:
            return label
    raise ValueError(f"streams.{stream}: no sample {sample}")


# Scheduling priority of the pretraining chain (higher priorities run first).
PRETRAINING_PRIORITY = 10


def pretraining_first(wildcards):
    """Scheduling priority of a data-preparation job: PRETRAINING_PRIORITY if it feeds the pretraining stream.

    Pretraining, and every Full/SSL fine-tune initialised from it, is the critical path of a
    run; without this the scheduler prepared the analyses' samples first and the demo's
    pretraining began at 1,035 of 1,711 s (on 2 cores). Higher priorities run first.
    """
    pretrain = (config.get("training") or {}).get("pretrain")
    if not pretrain:
        return 0
    stream = getattr(wildcards, "stream", None)
    if stream is not None:
        return PRETRAINING_PRIORITY if stream == pretrain["stream"] else 0
    return PRETRAINING_PRIORITY if wildcards.sample in stream_samples(pretrain["stream"]) else 0


def as_json(value):
    return json.dumps(value, sort_keys=True)


# (stream, sample) -> hypothesis parameters `build` stores per event for parameterised
# classifiers (evenet.pointcloud.parameters); filled by the analyses' rule files (xyh.smk).
BUILD_PARAMETERS = {}


def build_parameters(stream, sample):
    spec = BUILD_PARAMETERS.get((stream, sample))
    return f"--parameters {shlex.quote(as_json(spec))}" if spec else ""


def pointcloud_outputs():
    out = []
    for stream in config["streams"]:
        out += expand("results/pointcloud/{stream}/{sample}.h5", stream=stream, sample=stream_samples(stream))
        out.append(f"results/pointcloud/{stream}/normalization.json")
    return out


wildcard_constraints:
    sample="[A-Za-z][A-Za-z0-9_]*",
    stream="[A-Za-z][A-Za-z0-9_]*",
    part=r"\d+",
