# Systematic pseudo-experiments (issue 14, docs/systematics.md): JES and soft-MET variations of
# the selected objects of an analysis' stream, the nominal fine-tuned models (Scratch, Full)
# evaluated on each without retraining, and the shifts of the read-outs from the nominal.
# Pseudo-experiments are packed `batch_size` to a job (one job per batch, group "systematics",
# so a cluster profile can merge batches further with --group-components systematics=N).
# `all` runs the demo counts (`experiments:`), `systematics_study` the paper's (`study:`).

import math

SYST = config.get("systematics")
SYST_SCALES = {"demo": "experiments", "study": "study"}


def syst_stream_inputs(analysis):
    stream = SYST["analyses"][analysis]["stream"]
    samples = stream_samples(stream)
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


def syst_model_flags(analysis):
    return " ".join(f"--model {name}={path}" for name, path in SYST["analyses"][analysis]["models"].items())


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
            selection=lambda w: config["streams"][SYST["analyses"][w.syst_analysis]["stream"]]["selection"],
            selection_params=lambda w: as_json(
                SELECTIONS[config["streams"][SYST["analyses"][w.syst_analysis]["stream"]]["selection"]]),
            models=lambda w: syst_model_flags(w.syst_analysis),
            metrics=lambda w: " ".join(SYST["analyses"][w.syst_analysis]["metrics"]),
            readout=lambda w: as_json(SYST["analyses"][w.syst_analysis]["readout"]),
            seed=SYST["seed"],
        log:
            "logs/systematics/{syst_analysis}/nominal.log",
        benchmark:
            "benchmarks/systematics/{syst_analysis}/nominal.tsv"
        shell:
            "evenet vary --selected {input.selected:q} --nominal {input.nominal:q} --selection {params.selection}"
            " --selection-params {params.selection_params:q} --source nominal --seed {params.seed}"
            " {params.models} --metrics {params.metrics} --readout-options {params.readout:q}"
            " -o {output:q} > {log:q} 2>&1"

    rule syst_batch:
        input:
            unpack(lambda w: syst_stream_inputs(w.syst_analysis)),
        output:
            directory("results/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}"),
        group:
            "systematics"
        params:
            selection=lambda w: config["streams"][SYST["analyses"][w.syst_analysis]["stream"]]["selection"],
            selection_params=lambda w: as_json(
                SELECTIONS[config["streams"][SYST["analyses"][w.syst_analysis]["stream"]]["selection"]]),
            variation=lambda w: as_json(SYST[w.syst_source]),
            experiments=lambda w: "{}:{}".format(
                *syst_batches(w.syst_analysis, w.syst_scale)[w.syst_source][int(w.syst_batch)]),
            models=lambda w: syst_model_flags(w.syst_analysis),
            metrics=lambda w: " ".join(SYST["analyses"][w.syst_analysis]["metrics"]),
            readout=lambda w: as_json(SYST["analyses"][w.syst_analysis]["readout"]),
            seed=SYST["seed"],
        log:
            "logs/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}.log",
        benchmark:
            "benchmarks/systematics/{syst_analysis}/{syst_scale}/{syst_source}_b{syst_batch}.tsv"
        shell:
            "evenet vary --selected {input.selected:q} --nominal {input.nominal:q} --selection {params.selection}"
            " --selection-params {params.selection_params:q} --source {wildcards.syst_source}"
            " --variation {params.variation:q} --seed {params.seed} --experiments {params.experiments}"
            " {params.models} --metrics {params.metrics} --readout-options {params.readout:q}"
            " -o {output:q} > {log:q} 2>&1"

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
                    " --absolute {params.absolute} --figures {params.prefix:q} --analysis {params.analysis}"
                    " --config {params.config:q} -o {output.result:q} > {log:q} 2>&1"


rule systematics_study:
    input:
        systematics_outputs("study"),
