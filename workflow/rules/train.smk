# Pretraining (stage 1 self-supervised, stage 2 full), fine-tuning per analysis, prediction.
# GPU jobs declare `resources: gpu`, so a cluster profile can dispatch them; the
# demo runs them on the CPU with the tiny preset. The `training:` block is optional;
# its defaults come from the schema (workflow/schemas/config.schema.yaml).
# A training job rerun after an interruption (`snakemake --unlock`, then the same command)
# continues from <output>/resume/, which is not a declared output, so Snakemake keeps it;
# `evenet train` trusts it only for the same inputs and config (docs/training.md).

import shlex

from evenet.train.config import format_override

TRAINING = config.get("training")


def stream_files(stream):
    return expand("results/pointcloud/{stream}/{sample}.h5", stream=stream, sample=stream_samples(stream))


def trainer_flags(wildcards, resources):
    """Flags every training rule passes: devices, and how often the run saves the checkpoint
    that a rerun after an interruption resumes from (<output>/resume/, docs/training.md).
    A job given GPUs by its `gpu` resource (training.gpus, or a cluster profile's
    set-resources) trains on them: --accelerator gpu, `gpu` / `nodes` devices per node;
    otherwise training.accelerator, devices and num_nodes apply."""
    t = TRAINING
    gpus = int(resources.get("gpu") or 0)
    if gpus:
        nodes = int(resources.get("nodes") or 1)
        devices = f"--accelerator gpu --devices {gpus // nodes} --num-nodes {nodes}"
    else:
        devices = f"--accelerator {t['accelerator']} --devices {t['devices']} --num-nodes {t['num_nodes']}"
    return f"{devices} --checkpoint-every {t['checkpoint_every']}"


def launcher(wildcards, resources):
    """What starts a training command: the job's `mpi` resource, set by a cluster profile
    (e.g. `srun --ntasks-per-node=4 ...`, one task per GPU), or nothing: run it directly."""
    return resources.get("mpi") or ""


def set_flags(*overrides):
    """`--set key=value` flags of override mappings, later ones winning, each shell-quoted
    (a value may hold spaces, lists or mappings)."""
    merged = {k: v for mapping in overrides for k, v in mapping.items()}
    return " ".join("--set " + shlex.quote(format_override(k, v)) for k, v in merged.items())


def training_outputs():
    if not TRAINING:
        return []
    out = ["results/models/pretrain_ssl/metrics.json", "results/models/pretrain_full/metrics.json"]
    for analysis in TRAINING["finetune"]:
        out += [f"results/models/finetune_{analysis}/metrics.json", f"results/predictions/{analysis}.h5"]
    return out


if TRAINING:
    PRETRAIN_STREAM = TRAINING["pretrain"]["stream"]

    rule pretrain_ssl:
        input:
            data=stream_files(PRETRAIN_STREAM),
            norm=f"results/pointcloud/{PRETRAIN_STREAM}/normalization.json",
            config=TRAINING["pretrain"]["ssl"],
        output:
            metrics="results/models/pretrain_ssl/metrics.json",
            last="results/models/pretrain_ssl/last.ckpt",
            best="results/models/pretrain_ssl/best.ckpt",
            resolved="results/models/pretrain_ssl/config.yaml",
        params:
            trainer=trainer_flags,
            launch=launcher,
            seed=TRAINING["seed"],
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        priority: PRETRAINING_PRIORITY  # the critical path: every Full/SSL fine-tune waits for it
        log:
            "logs/train/pretrain_ssl.log",
        benchmark:
            "benchmarks/train/pretrain_ssl.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " --output results/models/pretrain_ssl --seed {params.seed} {params.trainer}"
            " --set trainer.threads={threads} > {log:q} 2>&1"

    rule pretrain_full:
        input:
            data=stream_files(PRETRAIN_STREAM),
            norm=f"results/pointcloud/{PRETRAIN_STREAM}/normalization.json",
            config=TRAINING["pretrain"]["full"],
            init="results/models/pretrain_ssl/last.ckpt",
        output:
            metrics="results/models/pretrain_full/metrics.json",
            last="results/models/pretrain_full/last.ckpt",
            best="results/models/pretrain_full/best.ckpt",
            resolved="results/models/pretrain_full/config.yaml",
        params:
            trainer=trainer_flags,
            launch=launcher,
            seed=TRAINING["seed"],
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        priority: PRETRAINING_PRIORITY  # the critical path: every Full/SSL fine-tune waits for it
        log:
            "logs/train/pretrain_full.log",
        benchmark:
            "benchmarks/train/pretrain_full.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " --init {input.init:q} --output results/models/pretrain_full --seed {params.seed} {params.trainer}"
            " --set trainer.threads={threads} > {log:q} 2>&1"

    for _analysis, _spec in TRAINING["finetune"].items():

        rule:
            name:
                f"finetune_{_analysis}"
            input:
                data=stream_files(_spec["stream"]),
                norm=f"results/pointcloud/{_spec['stream']}/normalization.json",
                config=_spec["config"],
                init=[f"results/models/{_spec['init']}/last.ckpt"] if _spec.get("init") else [],
            output:
                metrics=f"results/models/finetune_{_analysis}/metrics.json",
                last=f"results/models/finetune_{_analysis}/last.ckpt",
                best=f"results/models/finetune_{_analysis}/best.ckpt",
                resolved=f"results/models/finetune_{_analysis}/config.yaml",
            params:
                trainer=trainer_flags,
                launch=launcher,
                seed=TRAINING["seed"],
                init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
                out=f"results/models/finetune_{_analysis}",
                overrides=set_flags(_spec["set"]),
            threads: TRAINING["threads"]
            resources:
                gpu=TRAINING["gpus"],
                runtime=TRAINING["runtime_min"],
            log:
                f"logs/train/finetune_{_analysis}.log",
            benchmark:
                f"benchmarks/train/finetune_{_analysis}.tsv"
            shell:
                "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
                " {params.init} --output {params.out} --seed {params.seed} {params.trainer}"
                " --set trainer.threads={threads} {params.overrides} > {log:q} 2>&1"

        rule:
            name:
                f"predict_{_analysis}"
            input:
                data=stream_files(_spec["stream"]),
                checkpoint=f"results/models/finetune_{_analysis}/best.ckpt",
            output:
                f"results/predictions/{_analysis}.h5",
            threads: TRAINING["threads"]
            resources:
                gpu=TRAINING["gpus"],
            log:
                f"logs/predict/{_analysis}.log",
            benchmark:
                f"benchmarks/predict/{_analysis}.tsv"
            shell:
                "evenet predict --checkpoint {input.checkpoint:q} --data {input.data:q} --split test"
                " --threads {threads} --output {output:q} > {log:q} 2>&1"


# Training-size scans of the paper: Scratch / SSL / Full fine-tunes on fractions
# of the training set, several seeds each; `snakemake ... scans` (not part of `all`).
# The seed of a run is both its model seed (--seed) and the seed of its training subset
# (data.subset_seed): Scratch, SSL and Full at one seed train on the same events, and for
# one seed the subset of a smaller fraction lies inside that of a larger one.
SCAN_INIT = {"scratch": None, "ssl": "pretrain_ssl", "full": "pretrain_full"}


def scan_runs(analysis):
    scan = TRAINING["finetune"][analysis]["scan"]
    return expand(
        "results/scans/{analysis}/{variant}_f{fraction}_s{seed}/metrics.json",
        analysis=analysis, variant=scan["variants"], fraction=scan["fractions"], seed=scan["seeds"],
    )


SCANNED = [a for a, spec in TRAINING["finetune"].items() if "scan" in spec] if TRAINING else []

if SCANNED:

    rule finetune_scan:
        input:
            data=lambda w: stream_files(TRAINING["finetune"][w.analysis]["stream"]),
            norm=lambda w: f"results/pointcloud/{TRAINING['finetune'][w.analysis]['stream']}/normalization.json",
            config=lambda w: TRAINING["finetune"][w.analysis]["config"],
            init=lambda w: [f"results/models/{SCAN_INIT[w.variant]}/last.ckpt"] if SCAN_INIT[w.variant] else [],
        output:
            "results/scans/{analysis}/{variant}_f{fraction}_s{seed}/metrics.json",
        wildcard_constraints:
            analysis="|".join(SCANNED),
            variant="scratch|ssl|full",
            fraction=r"[0-9.]+",
            seed=r"\d+",
        params:
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            out=lambda w: f"results/scans/{w.analysis}/{w.variant}_f{w.fraction}_s{w.seed}",
            trainer=trainer_flags,
            launch=launcher,
            overrides=lambda w: set_flags(
                TRAINING["finetune"][w.analysis]["set"], TRAINING["finetune"][w.analysis]["scan"]["set"]
            ),
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        log:
            "logs/scans/{analysis}/{variant}_f{fraction}_s{seed}.log",
        benchmark:
            "benchmarks/scans/{analysis}/{variant}_f{fraction}_s{seed}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out} --seed {wildcards.seed} {params.trainer} {params.overrides}"
            " --set data.train_fraction={wildcards.fraction} --set data.subset_seed={wildcards.seed}"
            " --set trainer.threads={threads} > {log:q} 2>&1"

    rule scan_summary:
        input:
            lambda w: scan_runs(w.analysis),
        output:
            "results/scans/{analysis}/summary.json",
        log:
            "logs/scans/{analysis}/summary.log",
        shell:
            "evenet scan-summary {input:q} -o {output:q} > {log:q} 2>&1"

    rule scans:
        input:
            expand("results/scans/{analysis}/summary.json", analysis=SCANNED),
