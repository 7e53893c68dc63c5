# CATHODE-style Upsilon search (issue 13, docs/cathode.md): sideband folds -> EveNet generator
# ensemble per (variant, channel) -> generated SR background -> pseudo-experiments per
# configuration -> figures. `all` runs the configurations of the cathode config's `all:`
# block; `cathode_study` every configuration of its `study:` block with its counts.

import sys

from analyses.cathode.config import load_config
from evenet.errors import ConfigError

CATHODE = config.get("cathode")

if CATHODE:
    try:
        CC = load_config(CATHODE["config"])
        if not TRAINING:
            raise ConfigError("cathode: the generators are trained with the `training:` block's settings; it is missing")
    except ConfigError as err:
        sys.exit(f"evenet: config error: {err}")
    CATHODE_FOLDS = list(range(CC["generator"]["folds"]))

    # stream keys of the results: "data", and one per no-signal sample ("nosignal", "nosignal2", ...)
    CATHODE_NOSIGNAL = ["nosignal" if i == 0 else f"nosignal{i + 1}" for i in range(len(CC["streams"]["nosignal"]))]

    def cathode_stream_files(key):
        if key == "data":
            return stream_files(CC["streams"]["data"])
        return stream_files(CC["streams"]["nosignal"][CATHODE_NOSIGNAL.index(key)])

    def cathode_runs(block, prefix):
        """result.json paths of a block's configurations (data stream), plus OS->OS pooled over the no-signal samples."""
        b = CC[block]
        out = []
        for variant in b["variants"]:
            for cal in b["calibrated"]:
                tag = "calibrated" if cal else "raw"
                out += [f"results/cathode/{prefix}data/{variant}/{tag}/{tr}_{te}/result.json" for tr, te in b["pairs"]]
                out.append(f"results/cathode/{prefix}null/{variant}/{tag}/os_os/result.json")
        return out

    def cathode_diagnostics(block):
        b = CC[block]
        return expand("results/cathode/diagnostics/{variant}_{channel}/result.json", variant=b["variants"],
                      channel=b["diagnostics"])

    def cathode_outputs():
        return cathode_runs("all", "") + cathode_diagnostics("all") + expand(
            "results/cathode/figures/{name}.png", name=["significance", "calibration", "spectra"])

    rule cathode_fold:
        input:
            data=cathode_stream_files("data"),
            config=CATHODE["config"],
        output:
            "results/cathode/folds/{channel}/fold{fold}.h5",
        wildcard_constraints:
            channel="os|ss",
            fold=r"\d+",
        log:
            "logs/cathode/fold_{channel}_{fold}.log",
        benchmark:
            "benchmarks/cathode/fold_{channel}_{fold}.tsv"
        shell:
            "python -m analyses.cathode.folds --data {input.data:q} --channel {wildcards.channel}"
            " --fold {wildcards.fold} --config {input.config:q} --output {output:q} > {log:q} 2>&1"

    rule cathode_fold_normalization:
        input:
            "results/cathode/folds/{channel}/fold{fold}.h5",
        output:
            "results/cathode/folds/{channel}/fold{fold}.normalization.json",
        log:
            "logs/cathode/normalize_{channel}_{fold}.log",
        shell:
            "evenet normalize {input:q} -o {output:q} > {log:q} 2>&1"

    def cathode_init(wildcards):
        run = CC["variants"][wildcards.variant]
        return [f"results/models/{run}/last.ckpt"] if run else []

    rule cathode_generator:
        input:
            data="results/cathode/folds/{channel}/fold{fold}.h5",
            norm="results/cathode/folds/{channel}/fold{fold}.normalization.json",
            config=CC["generator"]["config"],
            init=cathode_init,
        output:
            last="results/cathode/models/{variant}/{channel}/fold{fold}/last.ckpt",
            metrics="results/cathode/models/{variant}/{channel}/fold{fold}/metrics.json",
        params:
            trainer=trainer_flags,
            launch=launcher,
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            seed=lambda w: CC["generator"]["seed"] + int(w.fold),
            out=lambda w: f"results/cathode/models/{w.variant}/{w.channel}/fold{w.fold}",
            overrides=set_flags(CC["generator"]["set"]),
        threads: 1
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        log:
            "logs/cathode/generator_{variant}_{channel}_{fold}.log",
        benchmark:
            "benchmarks/cathode/generator_{variant}_{channel}_{fold}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out} --seed {params.seed} {params.trainer}"
            " --set trainer.threads={threads} {params.overrides} > {log:q} 2>&1"

    rule cathode_generate:
        input:
            checkpoints=expand("results/cathode/models/{{variant}}/{{channel}}/fold{fold}/last.ckpt", fold=CATHODE_FOLDS),
            data=cathode_stream_files("data"),
            config=CATHODE["config"],
            selections=config["selections"],
        output:
            "results/cathode/generated/{variant}_{channel}.h5",
        wildcard_constraints:
            variant="|".join(CC["variants"]),
        threads: 1
        log:
            "logs/cathode/generate_{variant}_{channel}.log",
        benchmark:
            "benchmarks/cathode/generate_{variant}_{channel}.tsv"
        shell:
            "python -m analyses.cathode.generate --checkpoints {input.checkpoints:q} --data {input.data:q}"
            " --channel {wildcards.channel} --config {input.config:q} --selections {input.selections:q}"
            " --threads {threads} --output {output:q} > {log:q} 2>&1"

    def cathode_search_counts(wildcards):
        if wildcards.prefix == "study/":
            return f"--bootstraps {CC['study']['bootstraps']} --resamplings {CC['study']['resamplings']}"
        return ""

    rule cathode_search:
        input:
            data=lambda w: cathode_stream_files(w.stream),
            generated="results/cathode/generated/{variant}_{train}.h5",
            config=CATHODE["config"],
        output:
            report("results/cathode/{prefix}{stream}/{variant}/{cal}/{train}_{test}/result.json",
                   category="CATHODE", caption="../report/cathode_result.rst"),
        wildcard_constraints:
            prefix="(study/)?",
            stream="data|nosignal\\d*",
            cal="calibrated|raw",
            train="os|ss",
            test="os|ss",
        params:
            calibrated=lambda w: "--calibrated" if w.cal == "calibrated" else "",
            counts=cathode_search_counts,
            label=lambda w: f"{w.variant} {w.cal} {w.stream}",
        log:
            "logs/cathode/{prefix}search_{stream}_{variant}_{cal}_{train}_{test}.log",
        benchmark:
            "benchmarks/cathode/{prefix}search_{stream}_{variant}_{cal}_{train}_{test}.tsv"
        shell:
            "python -m analyses.cathode.search --data {input.data:q} --generated {input.generated:q}"
            " --train {wildcards.train} --test {wildcards.test} {params.calibrated} {params.counts}"
            " --config {input.config:q} --label {params.label:q} --output {output:q} > {log:q} 2>&1"

    rule cathode_null:
        input:
            results=lambda w: expand("results/cathode/{prefix}{stream}/{variant}/{cal}/os_os/result.json",
                                     prefix=w.prefix, stream=CATHODE_NOSIGNAL, variant=w.variant, cal=w.cal),
            config=CATHODE["config"],
        output:
            report("results/cathode/{prefix}null/{variant}/{cal}/os_os/result.json",
                   category="CATHODE", caption="../report/cathode_result.rst"),
        wildcard_constraints:
            prefix="(study/)?",
            cal="calibrated|raw",
        params:
            label=lambda w: f"{w.variant} {w.cal} nosignal",
        log:
            "logs/cathode/{prefix}null_{variant}_{cal}.log",
        shell:
            "python -m analyses.cathode.null --results {input.results:q} --config {input.config:q}"
            " --label {params.label:q} --output {output:q} > {log:q} 2>&1"

    rule cathode_diagnose:
        input:
            checkpoints=expand("results/cathode/models/{{variant}}/{{channel}}/fold{fold}/last.ckpt", fold=CATHODE_FOLDS),
            generated="results/cathode/generated/{variant}_{channel}.h5",
            data=cathode_stream_files("data"),
            nosignal=cathode_stream_files("nosignal"),
            config=CATHODE["config"],
            selections=config["selections"],
        output:
            result="results/cathode/diagnostics/{variant}_{channel}/result.json",
            figures=report(expand("results/cathode/diagnostics/{{variant}}_{{channel}}/features.{ext}",
                                  ext=["png", "pdf"]), category="CATHODE", caption="../report/cathode_diagnostics.rst"),
        wildcard_constraints:
            variant="|".join(CC["variants"]),
            channel="os|ss",
        threads: 1
        log:
            "logs/cathode/diagnose_{variant}_{channel}.log",
        benchmark:
            "benchmarks/cathode/diagnose_{variant}_{channel}.tsv"
        shell:
            "python -m analyses.cathode.diagnose --checkpoints {input.checkpoints:q} --data {input.data:q}"
            " --nosignal {input.nosignal:q} --generated {input.generated:q} --channel {wildcards.channel}"
            " --config {input.config:q} --selections {input.selections:q} --label {wildcards.variant}"
            " --threads {threads} --output {output.result:q} > {log:q} 2>&1"

    rule cathode_oracle:
        input:
            data=cathode_stream_files("nosignal"),
        output:
            "results/cathode/generated/oracle_{channel}.h5",
        log:
            "logs/cathode/oracle_{channel}.log",
        shell:
            "python -m analyses.cathode.oracle --data {input.data:q} --channel {wildcards.channel}"
            " --output {output:q} > {log:q} 2>&1"

    def cathode_figure_inputs(prefix):
        block = "study" if prefix else "all"
        variants = CC[block]["variants"]
        return {"results": cathode_runs(block, prefix),
                "generated": expand("results/cathode/generated/{variant}_os.h5", variant=variants)}

    rule cathode_figures:
        input:
            unpack(lambda w: cathode_figure_inputs("")),
            config=CATHODE["config"],
        output:
            report(expand("results/cathode/figures/{name}.{ext}", name=["significance", "calibration", "spectra"],
                          ext=["png", "pdf"]), category="CATHODE", caption="../report/cathode_figures.rst"),
        log:
            "logs/cathode/figures.log",
        shell:
            "python -m analyses.cathode.figures --results {input.results:q} --generated {input.generated:q}"
            " --config {input.config:q} --output results/cathode/figures > {log:q} 2>&1"

    rule cathode_study_figures:
        input:
            unpack(lambda w: cathode_figure_inputs("study/")),
            diagnostics=cathode_diagnostics("study"),
            oracle=["results/cathode/study/data/oracle/calibrated/os_os/result.json",
                    "results/cathode/study/data/oracle/calibrated/ss_ss/result.json"],
            config=CATHODE["config"],
        output:
            expand("results/cathode/study/figures/{name}.{ext}", name=["significance", "calibration", "spectra"],
                   ext=["png", "pdf"]),
        log:
            "logs/cathode/study_figures.log",
        shell:
            "python -m analyses.cathode.figures --results {input.results:q} {input.oracle:q}"
            " --generated {input.generated:q} --config {input.config:q} --output results/cathode/study/figures"
            " > {log:q} 2>&1"

    rule cathode_study:
        input:
            rules.cathode_study_figures.output,
