# X -> Y H -> bb WW* mass-grid search (analyses/xyh, docs/xyh.md). The grid is the table
# xyh.masspoints, added to the samples by the Snakefile (analyses/xyh/grid.py) and walked here
# with a Paramspace: a point is MX-<MX>_MY-<MY>. Per point and method:
#   results/xyh/<point>/<method>_s<seed>/result.json   (max SIC, expected limit, steps, statistics)
# methods: full | ssl | scratch (individual fine-tunes), xgboost (individual BDT),
#          param_full | param_ssl | param_scratch | param_xgboost (one model over the grid).
# Per-point jobs read only their own point's files and overrides, so editing one row's sample
# settings or one override reruns that point's jobs (and the grid-wide parameterised models).

import os

from snakemake.utils import Paramspace

from analyses.xyh.grid import grid_parameters, point_overrides, sample_name

XYH_METHODS = ("full", "ssl", "scratch", "xgboost", "param_full", "param_ssl", "param_scratch", "param_xgboost")
XYH_INIT = {"scratch": None, "ssl": "pretrain_ssl", "full": "pretrain_full"}


def xyh_result(point, method, seed):
    return f"results/xyh/{point}/{method}_s{seed}/result.json"


if XYH_GRID is not None:
    XYH = config["xyh"]
    XYH_STREAM = XYH["stream"]
    XYH_POINTS = Paramspace(XYH_GRID[["MX", "MY"]], filename_params="*", param_sep="-", filename_sep="_",
                            single_wildcard="point")
    XYH_CLASSES = list(config["streams"][XYH_STREAM]["classes"])
    XYH_SIGNAL_LABEL = XYH_CLASSES.index(XYH["signal_class"])
    XYH_BACKGROUND = [s for c, members in config["streams"][XYH_STREAM]["classes"].items()
                      if c != XYH["signal_class"] for s in members]

    def xyh_masses(point):
        row = XYH_POINTS.instance({"point": point})
        return int(row["MX"]), int(row["MY"])

    def xyh_signal(point):
        return sample_name(*xyh_masses(point))

    def xyh_pointcloud(sample):
        return f"results/pointcloud/{XYH_STREAM}/{sample}.h5"

    def xyh_point_files(point):
        """Point-cloud files of one point: every background sample and that point's signal."""
        return [xyh_pointcloud(s) for s in XYH_BACKGROUND] + [xyh_pointcloud(xyh_signal(point))]

    def xyh_point_features(point):
        return [f"results/xyh/features/{s}.parquet" for s in XYH_BACKGROUND + [xyh_signal(point)]]

    def xyh_override_file(point):
        path = f"{XYH['points']}/{point}.yaml"
        return [path] if os.path.exists(path) else []

    def xyh_overrides(point, key):
        overrides = point_overrides(XYH["points"], point)
        return overrides[key] if key in overrides else {}

    def xyh_outputs(methods, seeds):
        return [xyh_result(p, m, s) for p in XYH_POINTS.instance_patterns for m in methods for s in seeds]

    # Hypothesis parameters stored by `build` for the parameterised models: a signal sample its
    # own (M_X, M_Y), a background sample one grid point per event (evenet.pointcloud.parameters).
    for _sample in XYH_BACKGROUND:
        BUILD_PARAMETERS[(XYH_STREAM, _sample)] = {"names": ["MX", "MY"], "values": grid_parameters(XYH_GRID),
                                                    "seed": XYH["parameters_seed"]}
    for _mx, _my in zip(XYH_GRID.MX, XYH_GRID.MY):
        BUILD_PARAMETERS[(XYH_STREAM, sample_name(_mx, _my))] = {"names": ["MX", "MY"],
                                                                  "values": [[float(_mx), float(_my)]]}

    wildcard_constraints:
        point=r"MX-\d+_MY-\d+",
        variant="scratch|ssl|full",
        method="|".join(XYH_METHODS),
        seed=r"\d+",

    rule xyh_features:
        input:
            lambda w: xyh_pointcloud(w.sample),
        output:
            "results/xyh/features/{sample}.parquet",
        log:
            "logs/xyh/features/{sample}.log",
        benchmark:
            "benchmarks/xyh/features/{sample}.tsv"
        shell:
            "python -m analyses.xyh.features {input:q} -o {output:q} > {log:q} 2>&1"

    # ---------------------------------------------------------------- individual networks
    rule xyh_normalize_point:
        input:
            lambda w: xyh_point_files(w.point),
        output:
            "results/xyh/{point}/normalization.json",
        log:
            "logs/xyh/{point}/normalize.log",
        shell:
            "evenet normalize {input:q} -o {output:q} > {log:q} 2>&1"

    rule xyh_finetune:
        input:
            data=lambda w: xyh_point_files(w.point),
            norm="results/xyh/{point}/normalization.json",
            config=XYH["individual"]["config"],
            init=lambda w: [f"results/models/{XYH_INIT[w.variant]}/last.ckpt"] if XYH_INIT[w.variant] else [],
            overrides=lambda w: xyh_override_file(w.point),
        output:
            metrics="results/models/xyh/{point}/{variant}_s{seed}/metrics.json",
            best="results/models/xyh/{point}/{variant}_s{seed}/best.ckpt",
            last="results/models/xyh/{point}/{variant}_s{seed}/last.ckpt",
            resolved="results/models/xyh/{point}/{variant}_s{seed}/config.yaml",
        params:
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            out=lambda w: f"results/models/xyh/{w.point}/{w.variant}_s{w.seed}",
            trainer=trainer_flags,
            launch=launcher,
            overrides=lambda w: set_flags(XYH["individual"]["set"],
                                          XYH["scratch_set"] if w.variant == "scratch" else {},
                                          xyh_overrides(w.point, "set")),
        threads: TRAINING["threads"] if TRAINING else 1
        resources:
            gpu=TRAINING["gpus"] if TRAINING else 0,
            runtime=TRAINING["runtime_min"] if TRAINING else 60,
        log:
            "logs/xyh/{point}/finetune_{variant}_s{seed}.log",
        benchmark:
            "benchmarks/xyh/{point}/finetune_{variant}_s{seed}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out} --seed {wildcards.seed} {params.trainer}"
            " --set trainer.threads={threads} {params.overrides} > {log:q} 2>&1"

    rule xyh_predict:
        input:
            data=lambda w: xyh_point_files(w.point),
            checkpoint="results/models/xyh/{point}/{variant}_s{seed}/best.ckpt",
        output:
            "results/xyh/{point}/{variant}_s{seed}/scores.h5",
        threads: TRAINING["threads"] if TRAINING else 1
        log:
            "logs/xyh/{point}/predict_{variant}_s{seed}.log",
        shell:
            "evenet predict --checkpoint {input.checkpoint:q} --data {input.data:q} --split test"
            " --threads {threads} --output {output:q} > {log:q} 2>&1"

    # ---------------------------------------------------------------- parameterised networks
    rule xyh_finetune_param:
        input:
            data=lambda w: stream_files(XYH_STREAM),
            norm=f"results/pointcloud/{XYH_STREAM}/normalization.json",
            config=XYH["parameterised"]["config"],
            init=lambda w: [f"results/models/{XYH_INIT[w.variant]}/last.ckpt"] if XYH_INIT[w.variant] else [],
        output:
            metrics="results/models/xyh/param_{variant}_s{seed}/metrics.json",
            best="results/models/xyh/param_{variant}_s{seed}/best.ckpt",
            last="results/models/xyh/param_{variant}_s{seed}/last.ckpt",
            resolved="results/models/xyh/param_{variant}_s{seed}/config.yaml",
        params:
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            out=lambda w: f"results/models/xyh/param_{w.variant}_s{w.seed}",
            trainer=trainer_flags,
            launch=launcher,
            overrides=lambda w: set_flags(XYH["parameterised"]["set"],
                                          XYH["scratch_set"] if w.variant == "scratch" else {}),
        threads: TRAINING["threads"] if TRAINING else 1
        resources:
            gpu=TRAINING["gpus"] if TRAINING else 0,
            runtime=TRAINING["runtime_min"] if TRAINING else 60,
        log:
            "logs/xyh/finetune_param_{variant}_s{seed}.log",
        benchmark:
            "benchmarks/xyh/finetune_param_{variant}_s{seed}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out} --seed {wildcards.seed} {params.trainer}"
            " --set trainer.threads={threads} {params.overrides} > {log:q} 2>&1"

    rule xyh_predict_param:
        input:
            data=lambda w: xyh_point_files(w.point),
            checkpoint="results/models/xyh/param_{variant}_s{seed}/best.ckpt",
        output:
            "results/xyh/{point}/param_{variant}_s{seed}/scores.h5",
        params:
            masses=lambda w: " ".join(map(str, xyh_masses(w.point))),
        threads: TRAINING["threads"] if TRAINING else 1
        log:
            "logs/xyh/{point}/predict_param_{variant}_s{seed}.log",
        shell:
            "evenet predict --checkpoint {input.checkpoint:q} --data {input.data:q} --split test"
            " --parameters {params.masses} --threads {threads} --output {output:q} > {log:q} 2>&1"

    # ---------------------------------------------------------------- XGBoost baselines
    rule xyh_xgboost:
        input:
            features=lambda w: xyh_point_features(w.point),
            overrides=lambda w: xyh_override_file(w.point),
        output:
            model="results/models/xyh/{point}/xgboost_s{seed}/model.json",
            metrics="results/models/xyh/{point}/xgboost_s{seed}/metrics.json",
            scores="results/xyh/{point}/xgboost_s{seed}/scores.h5",
        params:
            options=lambda w: shlex.quote(as_json({**XYH["xgboost"], **xyh_overrides(w.point, "xgboost")})),
            label=XYH_SIGNAL_LABEL,
        log:
            "logs/xyh/{point}/xgboost_s{seed}.log",
        benchmark:
            "benchmarks/xyh/{point}/xgboost_s{seed}.tsv"
        shell:
            "(python -m analyses.xyh.bdt train {input.features:q} --model {output.model:q} --metrics {output.metrics:q}"
            " --options {params.options} --seed {wildcards.seed} --signal-label {params.label}"
            " && python -m analyses.xyh.bdt predict {input.features:q} --model {output.model:q}"
            " --signal-label {params.label} -o {output.scores:q}) > {log:q} 2>&1"

    rule xyh_xgboost_param:
        input:
            lambda w: [f"results/xyh/features/{s}.parquet" for s in stream_samples(XYH_STREAM)],
        output:
            model="results/models/xyh/param_xgboost_s{seed}/model.json",
            metrics="results/models/xyh/param_xgboost_s{seed}/metrics.json",
        params:
            options=shlex.quote(as_json(XYH["xgboost"])),
            label=XYH_SIGNAL_LABEL,
        log:
            "logs/xyh/param_xgboost_s{seed}.log",
        benchmark:
            "benchmarks/xyh/param_xgboost_s{seed}.tsv"
        shell:
            "python -m analyses.xyh.bdt train {input:q} --parameterised --model {output.model:q}"
            " --metrics {output.metrics:q} --options {params.options} --seed {wildcards.seed}"
            " --signal-label {params.label} > {log:q} 2>&1"

    rule xyh_predict_param_xgboost:
        input:
            features=lambda w: xyh_point_features(w.point),
            model="results/models/xyh/param_xgboost_s{seed}/model.json",
        output:
            "results/xyh/{point}/param_xgboost_s{seed}/scores.h5",
        params:
            masses=lambda w: " ".join(map(str, xyh_masses(w.point))),
            label=XYH_SIGNAL_LABEL,
        log:
            "logs/xyh/{point}/predict_param_xgboost_s{seed}.log",
        shell:
            "python -m analyses.xyh.bdt predict {input.features:q} --model {input.model:q} --hypothesis {params.masses}"
            " --signal-label {params.label} -o {output:q} > {log:q} 2>&1"

    # ---------------------------------------------------------------- metrics and figures
    def xyh_model_dir(w):
        if w.method.startswith("param_"):
            return f"results/models/xyh/{w.method}_s{w.seed}"
        return f"results/models/xyh/{w.point}/{w.method}_s{w.seed}"

    def xyh_evaluate_inputs(w):
        model = xyh_model_dir(w)
        inputs = {"scores": f"results/xyh/{w.point}/{w.method}_s{w.seed}/scores.h5",
                  "signal": xyh_pointcloud(xyh_signal(w.point)), "metrics": f"{model}/metrics.json"}
        if w.method.endswith("xgboost"):
            inputs["checkpoint"] = f"{model}/model.json"
        else:
            inputs.update(checkpoint=f"{model}/best.ckpt", run_config=f"{model}/config.yaml")
        return inputs

    def xyh_result_config(point):
        """The config stored in a result: the xyh block (less which targets run) and the point's overrides."""
        return {"xyh": {k: v for k, v in XYH.items() if k not in ("methods", "study")},
                "point_overrides": point_overrides(XYH["points"], point),
                "luminosity_pb": config["luminosity_pb"], "split": config["split"]}

    rule xyh_evaluate:
        input:
            unpack(xyh_evaluate_inputs),
        output:
            "results/xyh/{point}/{method}_s{seed}/result.json",
        params:
            masses=lambda w: " ".join(map(str, xyh_masses(w.point))),
            run_config=lambda w, input: f"--run-config {input.run_config}" if "run_config" in input.keys() else "",
            config=lambda w: shlex.quote(as_json(xyh_result_config(w.point))),
            label=XYH_SIGNAL_LABEL,
            test_fraction=config["split"]["fractions"]["test"],
            binning=shlex.quote(as_json(XYH["binning"])),
        log:
            "logs/xyh/{point}/evaluate_{method}_s{seed}.log",
        shell:
            "python -m analyses.xyh.evaluate --scores {input.scores:q} --signal-file {input.signal:q}"
            " --metrics {input.metrics:q} {params.run_config} --checkpoint {input.checkpoint:q}"
            " --point {params.masses} --method {wildcards.method} --seed {wildcards.seed} --config {params.config}"
            " --signal-label {params.label} --test-fraction {params.test_fraction}"
            " --min-background {XYH[min_background]} --reference-xsec-pb {XYH[reference_xsec_pb]}"
            " --reference-batch {XYH[reference_batch_size]} --binning {params.binning} -o {output:q} > {log:q} 2>&1"

    XYH_FIGURES = ("max_sic", "winner", "steps", "signal_statistics", "ratio_to_full", "param_vs_individual",
                   "xsec_limit")

    def xyh_figure_inputs(target):
        if target == "figures":
            return xyh_outputs(XYH["methods"], [TRAINING["seed"] if TRAINING else 1])
        return xyh_outputs(XYH["study"]["methods"], XYH["study"]["seeds"])

    # The captions are written beside the figures; Snakemake reads a caption path relative to
    # this file, so it is given absolute (the working directory's results/).
    for _target in ("figures", "study"):

        rule:
            name:
                f"xyh_summary_{_target}"
            input:
                xyh_figure_inputs(_target),
            output:
                summary=f"results/xyh/{_target}/summary.json",
                figures=[report(f"results/xyh/{_target}/{name}.png", category="X -> YH",
                                caption=os.path.abspath(f"results/xyh/{_target}/{name}.caption.rst"))
                         for name in XYH_FIGURES],
                pdfs=[f"results/xyh/{_target}/{name}.pdf" for name in XYH_FIGURES],
                captions=[f"results/xyh/{_target}/{name}.caption.rst" for name in XYH_FIGURES],
            params:
                out=f"results/xyh/{_target}",
            log:
                f"logs/xyh/{_target}.log",
            shell:
                "python -m analyses.xyh.figures {input:q} --output-dir {params.out} > {log:q} 2>&1"

    rule xyh:
        input:
            "results/xyh/figures/summary.json",

    rule xyh_study:
        input:
            "results/xyh/study/summary.json",


def xyh_all_outputs():
    return ["results/xyh/figures/summary.json"] if XYH_GRID is not None else []
