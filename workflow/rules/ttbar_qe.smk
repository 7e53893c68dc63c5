# Quantum correlations in dileptonic ttbar (issue 12, docs/ttbar_qe.md): closure, the
# analytic and truth baselines, EveNet fine-tunes (Scratch / SSL / Full x training size x
# seed) with their spin measurement, and the figures. `all` runs the closure, the
# baselines and Full + Scratch at the demo size with one seed; `ttbar_study` every size,
# variant and seed of config/ttbar_qe/ttbar_qe.yaml.

import yaml

TTQE = config.get("ttbar_qe")


def ttqe_outputs():
    if not TTQE:
        return []
    out = ["results/ttbar_qe/analytic/result.json", "results/ttbar_qe/truth/result.json"]
    if ttqe_closure_possible():
        out.append("results/ttbar_qe/closure/result.json")
    if TRAINING:
        out += ttqe_runs(ttqe_settings()["demo_variants"], [ttqe_settings()["demo_size"]], ttqe_settings()["seeds"][:1])
        out += ["results/ttbar_qe/figures/demo_fig4.png", "results/ttbar_qe/figures/demo_fig8.png"]
    return out


if TTQE:
    _TTQE_SETTINGS = yaml.safe_load(open(TTQE["config"]))

    def ttqe_settings():
        return _TTQE_SETTINGS

    def ttqe_runs(variants, sizes, seeds):
        return expand("results/ttbar_qe/{variant}_size{size}_s{seed}/result.json", variant=variants, size=sizes,
                      seed=seeds)

    def ttqe_generated(sample):
        return sample_raw_files(sample)

    def ttqe_closure_possible():
        """Closure compares with the C a sample was generated with: only for generator samples."""
        samples = [TTQE["response"], TTQE["data"], *TTQE["linearity"]]
        return all("generate" in config["samples"][s] for s in samples)

    def ttqe_pointcloud(sample):
        return f"results/pointcloud/{TTQE['eval_stream']}/{sample}.h5"

    def ttqe_sample_args(flag, sample):
        args = f"{flag} {' '.join(ttqe_generated(sample))} {flag.replace('generated', 'pointcloud')} {ttqe_pointcloud(sample)}"
        if flag == "--response-generated":  # the response is reweighted from the spin state it was generated with
            args += f" --response-model {shlex.quote(as_json(ttqe_injected(sample)))}"
        return args

    def ttqe_injected(sample):
        """The generator C a sample was made with (its generate.params.C), or "sm" (the process default)."""
        params = config["samples"][sample]["generate"]["params"]
        return params["C"] if "C" in params else "sm"

    def ttqe_measure_inputs():
        return ttqe_generated(TTQE["response"]) + ttqe_generated(TTQE["data"]) + [
            ttqe_pointcloud(TTQE["response"]), ttqe_pointcloud(TTQE["data"])]

    rule ttbar_qe_closure:
        input:
            generated=[ttqe_generated(s) for s in [TTQE["response"], TTQE["data"], *TTQE["linearity"]]],
            pointcloud=[ttqe_pointcloud(s) for s in [TTQE["response"], TTQE["data"], *TTQE["linearity"]]],
            config=TTQE["config"],
        output:
            "results/ttbar_qe/closure/result.json",
        params:
            response=lambda w: f"{','.join(ttqe_generated(TTQE['response']))} {ttqe_pointcloud(TTQE['response'])}"
            f" --response-model {shlex.quote(as_json(ttqe_injected(TTQE['response'])))}",
            samples=lambda w: " ".join(
                f"--sample {s} {','.join(ttqe_generated(s))} {ttqe_pointcloud(s)} "
                + shlex.quote(as_json(ttqe_injected(s)))
                for s in [*TTQE["linearity"], TTQE["data"]]),
            xsec=config["samples"][TTQE["data"]]["xsec_pb"],
        log:
            "logs/ttbar_qe/closure.log",
        benchmark:
            "benchmarks/ttbar_qe/closure.tsv"
        shell:
            "python -m analyses.ttbar_qe.closure --config {input.config:q} --response {params.response}"
            " {params.samples} --xsec-pb {params.xsec} --output {output:q} > {log:q} 2>&1"

    rule ttbar_qe_baseline:
        input:
            ttqe_measure_inputs(),
            config=TTQE["config"],
        output:
            report("results/ttbar_qe/{method}/result.json", category="ttbar entanglement",
                   caption="../report/ttbar_qe_result.rst"),
        wildcard_constraints:
            method="truth|analytic",
        params:
            response=ttqe_sample_args("--response-generated", TTQE["response"]),
            data=ttqe_sample_args("--data-generated", TTQE["data"]),
            xsec=config["samples"][TTQE["data"]]["xsec_pb"],
        log:
            "logs/ttbar_qe/{method}.log",
        benchmark:
            "benchmarks/ttbar_qe/{method}.tsv"
        shell:
            "python -m analyses.ttbar_qe.measure --config {input.config:q} --method {wildcards.method}"
            " {params.response} {params.data} --xsec-pb {params.xsec} --output {output:q} > {log:q} 2>&1"

if TTQE and TRAINING:

    rule ttbar_qe_finetune:
        input:
            data=lambda w: stream_files(TTQE["train_stream"]),
            norm=lambda w: f"results/pointcloud/{TTQE['train_stream']}/normalization.json",
            config=TTQE["finetune"]["config"],
            init=lambda w: [f"results/models/{SCAN_INIT[w.variant]}/last.ckpt"] if SCAN_INIT[w.variant] else [],
        output:
            metrics="results/ttbar_qe/models/{variant}_size{size}_s{seed}/metrics.json",
            best="results/ttbar_qe/models/{variant}_size{size}_s{seed}/best.ckpt",
        wildcard_constraints:
            variant="scratch|ssl|full",
            size=r"[0-9.]+",
            seed=r"\d+",
        params:
            init=lambda w, input: f"--init {input.init[0]}" if input.init else "",
            out=lambda w: f"results/ttbar_qe/models/{w.variant}_size{w.size}_s{w.seed}",
            fraction=lambda w: float(w.size) * ttqe_settings()["reference_fraction"],
            trainer=trainer_flags,
            launch=launcher,
            overrides=set_flags(TTQE["finetune"]["set"]),
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
            runtime=TRAINING["runtime_min"],
        log:
            "logs/ttbar_qe/finetune_{variant}_size{size}_s{seed}.log",
        benchmark:
            "benchmarks/ttbar_qe/finetune_{variant}_size{size}_s{seed}.tsv"
        shell:
            "{params.launch} evenet train --config {input.config:q} --data {input.data:q} --normalization {input.norm:q}"
            " {params.init} --output {params.out} --seed {wildcards.seed} {params.trainer} {params.overrides}"
            " --set data.train_fraction={params.fraction} --set data.subset_seed={wildcards.seed}"
            " --set trainer.threads={threads} > {log:q} 2>&1"

    rule ttbar_qe_predict:
        input:
            data=[ttqe_pointcloud(TTQE["response"]), ttqe_pointcloud(TTQE["data"])],
            checkpoint="results/ttbar_qe/models/{run}/best.ckpt",
        output:
            "results/ttbar_qe/predictions/{run}.h5",
        params:
            samples=ttqe_settings()["network"]["neutrino_samples"],
            steps=ttqe_settings()["network"]["steps"],
        threads: TRAINING["threads"]
        resources:
            gpu=TRAINING["gpus"],
        log:
            "logs/ttbar_qe/predict_{run}.log",
        benchmark:
            "benchmarks/ttbar_qe/predict_{run}.tsv"
        shell:
            "evenet predict --checkpoint {input.checkpoint:q} --data {input.data:q} --split all"
            " --neutrino-samples {params.samples} --steps {params.steps} --threads {threads}"
            " --output {output:q} > {log:q} 2>&1"

    rule ttbar_qe_network:
        input:
            ttqe_measure_inputs(),
            config=TTQE["config"],
            predictions="results/ttbar_qe/predictions/{variant}_size{size}_s{seed}.h5",
            checkpoint="results/ttbar_qe/models/{variant}_size{size}_s{seed}/best.ckpt",
        output:
            "results/ttbar_qe/{variant}_size{size}_s{seed}/result.json",
        wildcard_constraints:
            variant="scratch|ssl|full",
        params:
            response=ttqe_sample_args("--response-generated", TTQE["response"]),
            data=ttqe_sample_args("--data-generated", TTQE["data"]),
            xsec=config["samples"][TTQE["data"]]["xsec_pb"],
        log:
            "logs/ttbar_qe/network_{variant}_size{size}_s{seed}.log",
        benchmark:
            "benchmarks/ttbar_qe/network_{variant}_size{size}_s{seed}.tsv"
        shell:
            "python -m analyses.ttbar_qe.measure --config {input.config:q} --method network"
            " {params.response} {params.data} --xsec-pb {params.xsec} --predictions {input.predictions:q}"
            " --checkpoint {input.checkpoint:q} --label {wildcards.variant}_size{wildcards.size}_s{wildcards.seed}"
            " --output {output:q} > {log:q} 2>&1"

    def ttqe_figure_inputs(variants, sizes, seeds):
        runs = ttqe_runs(variants, sizes, seeds)
        metrics = [r.replace("results/ttbar_qe/", "results/ttbar_qe/models/").replace("result.json", "metrics.json")
                   for r in runs]
        return {"runs": runs, "metrics": metrics, "analytic": "results/ttbar_qe/analytic/result.json",
                "truth": "results/ttbar_qe/truth/result.json"}

    rule ttbar_qe_figures:
        input:
            unpack(lambda w: ttqe_figure_inputs(*(
                (ttqe_settings()["demo_variants"], [ttqe_settings()["demo_size"]], ttqe_settings()["seeds"][:1])
                if w.grid == "demo" else
                (ttqe_settings()["variants"], ttqe_settings()["sizes"], ttqe_settings()["seeds"])))),
        output:
            fig4=report("results/ttbar_qe/figures/{grid}_fig4.png", category="ttbar entanglement",
                        caption="../report/ttbar_qe_fig4.rst"),
            fig8=report("results/ttbar_qe/figures/{grid}_fig8.png", category="ttbar entanglement",
                        caption="../report/ttbar_qe_fig8.rst"),
        wildcard_constraints:
            grid="demo|study",
        log:
            "logs/ttbar_qe/figures_{grid}.log",
        shell:
            "python -m analyses.ttbar_qe.figures --runs {input.runs:q} --metrics {input.metrics:q}"
            " --analytic {input.analytic:q} --truth {input.truth:q}"
            " --output results/ttbar_qe/figures/{wildcards.grid} > {log:q} 2>&1"

    rule ttbar_study:
        input:
            ttqe_runs(ttqe_settings()["variants"], ttqe_settings()["sizes"], ttqe_settings()["seeds"]),
            "results/ttbar_qe/figures/study_fig4.png",
            "results/ttbar_qe/closure/result.json",
