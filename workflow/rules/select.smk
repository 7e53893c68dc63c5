# Ingested events of a sample -> preselected events with weights, split and truth targets.


rule select:
    input:
        ingested_files,
    output:
        events="results/selected/{stream}/{sample}.parquet",
        cutflow=report(
            "results/cutflow/{stream}/{sample}.json",
            caption="../report/cutflow.rst",
            category="Preselection",
            subcategory="{stream}",
            labels={"stream": "{stream}", "sample": "{sample}"},
        ),
    params:
        selection=lambda w: config["streams"][w.stream]["selection"],
        selection_params=lambda w: as_json(SELECTIONS[config["streams"][w.stream]["selection"]]),
        truth=lambda w: as_json(config["streams"][w.stream]["truth"]),
        split=as_json(config["split"]),
        label=lambda w: sample_label(w.stream, w.sample),
        xsec=lambda w: (
            f"--xsec-pb {config['samples'][w.sample]['xsec_pb']}" if "xsec_pb" in config["samples"][w.sample] else ""
        ),
        lumi=config["luminosity_pb"],
    priority: pretraining_first
    log:
        "logs/select/{stream}/{sample}.log",
    benchmark:
        "benchmarks/select/{stream}/{sample}.tsv"
    shell:
        "evenet select {input:q} --selection {params.selection} --selection-params {params.selection_params:q}"
        " --truth {params.truth:q} --split {params.split:q} --label {params.label} --sample {wildcards.sample}"
        " {params.xsec} --lumi-pb {params.lumi}"
        " -o {output.events:q} --cutflow {output.cutflow:q} > {log:q} 2>&1"
