# H -> aa -> 4b (issue 11, docs/haa.md): EveNet fine-tunes per (model, variant, size, seed)
# and the SPANet baseline per (size, seed) on the same events, each evaluated with
# evenet.stats into a result.json; summaries, paired Full - Scratch differences and figures.
# Targets: part of `all` (config/haa/haa.yaml `all:` block) and `haa_study` (`study:` block).
# Needs the `training:` block (the Full and SSL variants start from its pretraining).

import json

from evenet.config import load_yaml

HAA_PATH = config.get("haa")
HAA = None
if HAA_PATH and TRAINING:
    try:
        HAA = load_yaml(HAA_PATH)
        validate_schema(HAA, workflow.source_path("../schemas/haa.schema.yaml"), source=HAA_PATH)
    except ConfigError as err:
        sys.exit(f"evenet: config error: {err}")
    HAA_CLASSES = list(config["streams"][HAA["stream"]]["classes"])
    if HAA["signal_class"] not in HAA_CLASSES:
        sys.exit(f"evenet: config error: {HAA_PATH}: signal_class: {HAA['signal_class']!r} is not a class of "
                 f"streams.{HAA['stream']} ({HAA_CLASSES})")
    for _block in ("all", "study"):
        for _size in HAA[_block]["sizes"]:
            if _size * HAA["reference_fraction"] > 1.0:
                sys.exit(f"evenet: config error: {HAA_PATH}: {_block}.sizes: {_size} x reference_fraction "
                         f"{HAA['reference_fraction']} exceeds the training split")
        for _model in HAA[_block]["models"]:
            if _model not in HAA["models"]:
                sys.exit(f"evenet: config error: {HAA_PATH}: {_block}.models: unknown model {_model!r}")
HAA_INIT = {"scratch": None, "ssl": "pretrain_ssl", "full": "pretrain_full"}


def haa_fraction(size):
    """data.train_fraction of a training size (a fraction of the reference)."""
    return round(float(size) * HAA["reference_fraction"], 6)


def haa_epochs(size, block):
    """The paper's epoch rule: more epochs below `small_below_events` training events."""
    small = float(size) * HAA["reference_events"] < block["small_below_events"]
    return block["epochs_small"] if small else block["epochs"]


def haa_runs(block):
    """result.json of every run of a target block (`all` or `study`)."""
    spec = HAA[block]
    out = expand("results/haa/runs/{model}/{variant}_s{size}_seed{seed}/result.json", model=spec["models"],
                 variant=spec["variants"], size=spec["sizes"], seed=spec["seeds"])
    if spec["spanet"]:
        out += expand("results/haa/runs/spanet/spanet_s{size}_seed{seed}/result.json", size=spec["sizes"],
                      seed=spec["seeds"])
    return out


def haa_outputs(block="all"):
    if HAA is None:
        return []
    return ["results/haa/cutflow/result.json", f"results/haa/{block}/result.json",
            f"results/haa/figures/{block}_fig3.png", f"results/haa/figures/{block}_fig8.png"]


if HAA is not None:
    HAA_FILES = stream_files(HAA["stream"])
    HAA_SIGNAL = HAA_CLASSES.index(HAA["signal_class"])

    wildcard_constraints:
        haa_model="|".join(HAA["models"]),
        haa_variant="scratch|ssl|full",
        haa_size=r"[0-9.]+",
        haa_seed=r"\d+",
        haa_block="all|study",

    rule haa_export_eval:
        input:
            HAA_FILES,
        output:
            data="results/haa/spanet/{split}.h5",
        wildcard_constraints:
            split="val|test",
        log:
            "logs/haa/export_{split}.log",
        shell:
            "evenet export spanet {input:q} --split {wildcards.split} -o {output.data:q} > {log:q} 2>&1"

    rule haa_export_train:
        input:
            HAA_FILES,
        output:
            data="results/haa/spanet/train_s{haa_size}_seed{haa_seed}.h5",
            info="results/haa/spanet/event_s{haa_size}_seed{haa_seed}.yaml",
        params:
            fraction=lambda w: haa_fraction(w.haa_size),
        log:
            "logs/haa/export_train_s{haa_size}_seed{haa_seed}.log",
        shell:
            "evenet export spanet {input:q} --split train --fraction {params.fraction} --subset-seed {wildcards.haa_seed}"
            " --event-info {output.info:q} -o {output.data:q} > {log:q} 2>&1"

    rule haa_spanet:
        input:
            train="results/haa/spanet/train_s{haa_size}_seed{haa_seed}.h5",
            info="results/haa/spanet/event_s{haa_size}_seed{haa_seed}.yaml",
            val="results/haa/spanet/val.h5",
            test="results/haa/spanet/test.h5",
        output:
            predictions="results/haa/runs/spanet/spanet_s{haa_size}_seed{haa_seed}/predictions.h5",
            summary="results/haa/runs/spanet/spanet_s{haa_size}_seed{haa_seed}/spanet.json",
        params:
            python=HAA["spanet"]["python"],
            options=lambda w: as_json({"epochs": haa_epochs(w.haa_size, HAA["finetune"]), **HAA["spanet"]["options"]}),
            out="results/haa/runs/spanet/spanet_s{haa_size}_seed{haa_seed}",
        threads: TRAINING["threads"]
        resources:
            runtime=TRAINING["runtime_min"],
        log:
            "logs/haa/spanet_s{haa_size}_seed{haa_seed}.log",
        benchmark:
            "benchmarks/haa/spanet_s{haa_size}_seed{haa_seed}.tsv"
        shell:
            "PYTHONPATH=src {params.python} -m analyses.haa.spanet_train --event-info {input.info:q} --train {input.train:q}"
            " --val {input.val:q} --test {input.test:q} --options {params.options:q} --seed {wildcards.haa_seed}"
            " --threads {threads} --output {params.out:q} > {log:q} 2>&1"

    rule haa_finetune:
        input:
            data=HAA_FILES,
            norm=f"results/pointcloud/{HAA['stream']}/normalization.json",
            config=HAA["finetune"]["preset"],
            init=lambda w: [f"results/models/{HAA_INIT[w.haa_variant]}/last.ckpt"] if HAA_INIT[w.haa_variant] else [],
        output:
            metrics="results/haa/runs/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}/metrics.json",
            best="results/haa/runs/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}/best.ckpt",
        params:
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            out="results/haa/runs/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}",
            trainer=trainer_flags,
            launch=launcher,
            overrides=lambda w: set_flags(
                {"model.heads": HAA["models"][w.haa_model]["heads"],
                 "loss_weights": HAA["models"][w.haa_model]["loss_weights"],
                 "data.load_targets": "assignment" in HAA["models"][w.haa_model]["heads"],
                 "trainer.max_epochs": haa_epochs(w.haa_size, HAA["finetune"]),
                 "data.train_fraction": haa_fraction(w.haa_size), "data.subset_seed": int(w.haa_seed)},
                HAA["finetune"]["set"],
            ),
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        log:
            "logs/haa/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}.log",
        benchmark:
            "benchmarks/haa/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out:q} --seed {wildcards.haa_seed} {params.trainer} {params.overrides}"
            " --set trainer.threads={threads} > {log:q} 2>&1"

    rule haa_predict:
        input:
            data=HAA_FILES,
            checkpoint="results/haa/runs/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}/best.ckpt",
        output:
            "results/haa/runs/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}/predictions.h5",
        threads: TRAINING["threads"]
        log:
            "logs/haa/{haa_model}/{haa_variant}_s{haa_size}_seed{haa_seed}.predict.log",
        shell:
            "evenet predict --checkpoint {input.checkpoint:q} --data {input.data:q} --split test"
            " --threads {threads} --output {output:q} > {log:q} 2>&1"

    def haa_run_inputs(w):
        run = f"results/haa/runs/{w.haa_run}"
        metrics = f"{run}/spanet.json" if w.haa_run.startswith("spanet/") else f"{run}/metrics.json"
        return {"predictions": f"{run}/predictions.h5", "metrics": metrics, "truth": "results/haa/spanet/test.h5"}

    def haa_pairing_head(w):
        """The head whose pairing gives a run's purities (SPANet: its own assignment)."""
        model = w.haa_run.split("/")[0]
        return HAA["models"][model]["pairing_head"] if model in HAA["models"] else "assignment"

    rule haa_evaluate:
        input:
            unpack(haa_run_inputs),
        output:
            "results/haa/runs/{haa_run}/result.json",
        wildcard_constraints:
            haa_run=r"[a-z_]+/[a-z]+_s[0-9.]+_seed\d+",
        params:
            signal=HAA_SIGNAL,
            reference=HAA["reference_events"],
            pairing=haa_pairing_head,
        log:
            "logs/haa/evaluate/{haa_run}.log",
        shell:
            "python -m analyses.haa.evaluate --predictions {input.predictions:q} --metrics {input.metrics:q}"
            " --truth {input.truth:q} --signal-label {params.signal} --reference-events {params.reference}"
            " --pairing-head {params.pairing} -o {output:q} > {log:q} 2>&1"

    rule haa_summary:
        input:
            lambda w: haa_runs(w.haa_block),
        output:
            "results/haa/{haa_block}/result.json",
        log:
            "logs/haa/summary_{haa_block}.log",
        shell:
            "python -m analyses.haa.summarize {input:q} -o {output:q} > {log:q} 2>&1"

    rule haa_figures:
        input:
            "results/haa/{haa_block}/result.json",
        output:
            fig3=report("results/haa/figures/{haa_block}_fig3.png", caption="../../report/haa/fig3.rst",
                        category="H -> aa -> 4b"),
            fig8=report("results/haa/figures/{haa_block}_fig8.png", caption="../../report/haa/fig8.rst",
                        category="H -> aa -> 4b"),
            pdf=["results/haa/figures/{haa_block}_fig3.pdf", "results/haa/figures/{haa_block}_fig8.pdf"],
        log:
            "logs/haa/figures_{haa_block}.log",
        shell:
            "python -m analyses.haa.figures {input:q} --output results/haa/figures/{wildcards.haa_block}"
            " > {log:q} 2>&1"

    rule haa_cutflow:
        input:
            expand("results/cutflow/{stream}/{sample}.json", stream=HAA["stream"], sample=stream_samples(HAA["stream"])),
        output:
            "results/haa/cutflow/result.json",
        params:
            signal=lambda w: " ".join(config["streams"][HAA["stream"]]["classes"][HAA["signal_class"]]),
        log:
            "logs/haa/cutflow.log",
        shell:
            "python -m analyses.haa.cutflow {input:q} --signal {params.signal} -o {output:q} > {log:q} 2>&1"

    rule haa_study:
        input:
            haa_outputs("study"),
