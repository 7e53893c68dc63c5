# Systematic pseudo-experiments (issue 14, docs/systematics.md): JES and soft-MET variations of
# the selected objects of an analysis' stream, the nominal fine-tuned models (Scratch, Full)
# evaluated on each without retraining, and the shifts of the read-outs from the nominal.
# Pseudo-experiments are packed `batch_size` to a job (one job per batch, group "systematics",
# so a cluster profile can merge batches further with --group-components systematics=N).
# `all` runs the demo counts (`experiments:`), `systematics_study` the paper's (`study:`).

import math
import shlex

SYST = config.get("systematics")
SYST_SCALES = {"demo": "experiments", "study": "study"}


def syst_samples(analysis):
    spec = SYST["analyses"][analysis]
    return spec.get("samples") or stream_samples(spec["stream"])


def syst_stream_inputs(analysis):
    stream = SYST["analyses"][analysis]["stream"]
    samples = syst_samples(analysis)
    return {
        "selected": expand("results/selected/{stream}/{sample}.parquet", stream=stream, sample=samples),
        "nominal": expand("results/pointcloud/{stream}/{sample}.h5", stream=stream, sample=samples),
        "models": list(SYST["analyses"][analysis]["models"].values()),
    }


def syst_batches(analysis, scale):
    """{source: [(start, stop), ...]} of the pseudo-experiments of an analysis at a scale."""
    spec = SYST["analyses"][analysis]
    size = SYST["batch_size"]
    return {source: [(b * size, min((b + 1) * size, n)) for b in range(math.ceil(n / size))]
            for source, n in spec[SYST_SCALES[scale]].items() if n > 0}


def syst_batch_dirs(analysis, scale):
    return [f"results/systematics/{analysis}/{scale}/{source}_b{b}"
            for source, ranges in syst_batches(analysis, scale).items() for b in range(len(ranges))]


def syst_result_dir(analysis, scale):
    return f"results/{analysis}/systematics" + ("" if scale == "demo" else f"_{scale}")


def syst_figure_prefix(analysis, scale):
    return f"results/{analysis}/figures/systematics" + ("" if scale == "demo" else f"_{scale}")


def systematics_outputs(scale="demo"):
    if not SYST:
        return []
    out = []
    for analysis in SYST["analyses"]:
        if syst_batches(analysis, scale):
            out.append(f"{syst_result_dir(analysis, scale)}/result.json")
            out += [f"{syst_figure_prefix(analysis, scale)}_{s}.png" for s in syst_batches(analysis, scale)]
    return out


def syst_flags(analysis):
    """The flags of `evenet vary` that every job of an analysis shares."""
    spec = SYST["analyses"][analysis]
    stream = spec["stream"]
    return " ".join([
        f"--selection {config['streams'][stream]['selection']}",
        "--selection-params", shlex.quote(as_json(SELECTIONS[config["streams"][stream]["selection"]])),
        *(f"--model {name}={path}" for name, path in spec["models"].items()),
        "--metrics", *spec["metrics"],
        "--readout-options", shlex.quote(as_json(spec["readout"])),
        "--split", spec["split"],
        "--predict-options", shlex.quote(as_json(spec["predict"])),
        f"--seed {SYST['seed']}",
    ])


if SYST:

    wildcard_constraints:
        syst_analysis="|".join(SYST["analyses"]),
        syst_scale="|".join(SYST_SCALES),
        syst_source="jes|soft_met",
        syst_batch=r"\d+",

    rule syst_nominal:
        input:
            unpack(lambda w: syst_stream_inputs(w.syst_analysis)),
        output:
            directory("results/systematics/{syst_analysis}/nominal"),
        params:
            flags=lambda w: syst_flags(w.syst_analysis),
        log:
            "logs/systematics/{syst_analysis}/nominal.log",
        benchmark:
            "benchmarks/systematics/{syst_analysis}/nominal.tsv"
        shell:
            "evenet vary --selected {input.selected:q} --nominal {input.nominal:q} --source nominal {params.flags}"
            " -o {output:q} > {log:q} 2>&1"

    rule syst_batch:
        input:
            unpack(lambda w: syst_stream_inputs(w.syst_analysis)),
        output:
            directory("results/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}"),
        group:
            "systematics"
        params:
            flags=lambda w: syst_flags(w.syst_analysis),
            variation=lambda w: as_json(SYST[w.syst_source]),
            experiments=lambda w: "{}:{}".format(
                *syst_batches(w.syst_analysis, w.syst_scale)[w.syst_source][int(w.syst_batch)]),
        log:
            "logs/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}.log",
        benchmark:
            "benchmarks/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}.tsv"
        shell:
            "evenet vary --selected {input.selected:q} --nominal {input.nominal:q} --source {wildcards.syst_source}"
            " --variation {params.variation:q} --experiments {params.experiments} {params.flags}"
            " -o {output:q} > {log:q} 2>&1"

    if "ttbar_qe" in SYST["analyses"] and config.get("ttbar_qe"):
        # The precision of D per pseudo-experiment: the entanglement analysis reconstructs and
        # unfolds each varied data sample with the nominal response (analyses/ttbar_qe/systematics.py).
        _TTQE = config["ttbar_qe"]

        def syst_ttqe_nominal_predictions():
            """Each model's nominal predictions (the ttbar_qe_predict output beside its checkpoint)."""
            models = SYST["analyses"]["ttbar_qe"]["models"]
            return {m: p.replace("/models/", "/predictions/").replace("/best.ckpt", ".h5") for m, p in models.items()}

        rule syst_readout_ttbar_qe:
            input:
                nominal="results/systematics/ttbar_qe/nominal",
                batches=lambda w: syst_batch_dirs("ttbar_qe", w.syst_scale),
                config=_TTQE["config"],
                response_generated=ttqe_generated(_TTQE["response"]),
                response_pointcloud=ttqe_pointcloud(_TTQE["response"]),
                data_generated=ttqe_generated(_TTQE["data"]),
                predictions=list(syst_ttqe_nominal_predictions().values()),
            output:
                "results/systematics/ttbar_qe/{syst_scale}/readout.json",
            params:
                predictions=" ".join(f"{m}={p}" for m, p in syst_ttqe_nominal_predictions().items()),
                xsec=config["samples"][_TTQE["data"]]["xsec_pb"],
                model=shlex.quote(as_json(ttqe_injected(_TTQE["response"]))),
            log:
                "logs/systematics/ttbar_qe/readout_{syst_scale}.log",
            benchmark:
                "benchmarks/systematics/ttbar_qe/readout_{syst_scale}.tsv"
            shell:
                "python -m analyses.ttbar_qe.systematics --config {input.config:q}"
                " --response-generated {input.response_generated:q} --response-pointcloud {input.response_pointcloud:q}"
                " --data-generated {input.data_generated:q} --response-model {params.model} --xsec-pb {params.xsec}"
                " --nominal-predictions {params.predictions} --batches {input.nominal:q} {input.batches:q}"
                " --output {output:q} > {log:q} 2>&1"

    SYST_READOUTS = {"ttbar_qe": "results/systematics/ttbar_qe/{scale}/readout.json"} \
        if "ttbar_qe" in SYST["analyses"] and config.get("ttbar_qe") else {}

    for _analysis, _spec in SYST["analyses"].items():
        for _scale in SYST_SCALES:
            _sources = list(syst_batches(_analysis, _scale))
            if not _sources:
                continue
            _prefix = syst_figure_prefix(_analysis, _scale)

            rule:
                name:
                    f"syst_summary_{_analysis}_{_scale}"
                input:
                    nominal=f"results/systematics/{_analysis}/nominal",
                    batches=syst_batch_dirs(_analysis, _scale),
                    readouts=[SYST_READOUTS[_analysis].format(scale=_scale)] if _analysis in SYST_READOUTS else [],
                output:
                    result=f"{syst_result_dir(_analysis, _scale)}/result.json",
                    figures=[report(f"{_prefix}_{s}.png", caption=f"../../{_prefix}_{s}.caption.rst",
                                    category="Systematics", subcategory=_analysis) for s in _sources],
                    pdf=[f"{_prefix}_{s}.pdf" for s in _sources],
                params:
                    absolute=" ".join(_spec["absolute"]),
                    prefix=_prefix,
                    analysis=_analysis,
                    config=as_json({k: SYST[k] for k in ("seed", "batch_size", *_sources)} | {"analysis": _spec}),
                log:
                    f"logs/systematics/{_analysis}/summary_{_scale}.log",
                shell:
                    "evenet syst-summary --nominal {input.nominal:q} --batches {input.batches:q}"
                    " --readouts {input.readouts:q}"
                    " --absolute {params.absolute} --figures {params.prefix:q} --analysis {params.analysis}"
                    " --config {params.config:q} -o {output.result:q} > {log:q} 2>&1"


rule systematics_study:
    input:
        systematics_outputs("study"),
