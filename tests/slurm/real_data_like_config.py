"""A real-data-like configuration for checking how profiles/perlmutter groups the full DAG:
the demo's samples, streams and analyses, but every sample read from many ROOT files
(`files:` instead of `generate:`) and training on GPUs with the paper's presets.

    python tests/slurm/real_data_like_config.py /tmp/real      # writes /tmp/real/config.yaml
    snakemake all -n --profile profiles/perlmutter -d /tmp/real --configfile /tmp/real/config.yaml

The working directory /tmp/real gets links to the repository's config files (presets,
selections, analysis configs; their paths are relative, as in the demo) but not to
config/config.yaml, which Snakemake would otherwise merge under the given config (a sample
would then have both `generate:` and `files:`). The input files are empty placeholders
(enough for a dry run, which reads none of them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# Input files per sample: the pretraining corpus is the bulk, as in production.
FILES_PRETRAIN, FILES_OTHER = 12, 4


def real_data_like(directory: Path) -> Path:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    pretrain = {s for members in config["streams"]["pretrain"]["classes"].values() for s in members}
    for name, spec in config["samples"].items():
        count = FILES_PRETRAIN if name in pretrain else FILES_OTHER
        files = []
        for i in range(count):
            path = directory / "data" / name / f"nano_{i}.root"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            files.append(str(path))
        spec.pop("generate")
        spec["files"] = files
    config["training"].update(accelerator="gpu", gpus=1, threads=8)
    (directory / "config").mkdir(exist_ok=True)
    for item in (REPO / "config").iterdir():
        link = directory / "config" / item.name
        if item.name != "config.yaml" and not link.exists():
            link.symlink_to(item)
    out = directory / "config.yaml"
    out.write_text(yaml.safe_dump(config, sort_keys=False))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} OUTPUT_DIRECTORY")
    print(real_data_like(Path(sys.argv[1])))
