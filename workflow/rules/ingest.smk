# ROOT file -> the reader-independent event record (one job per input file).


rule ingest:
    input:
        raw_file,
    output:
        "results/ingested/{sample}/{part}.parquet",
    params:
        needs=lambda w: sample_needs(w.sample),
        fmt=lambda w: config["samples"][w.sample]["format"],
        step=config["step_size"],
    priority: pretraining_first
    log:
        "logs/ingest/{sample}/{part}.log",
    benchmark:
        "benchmarks/ingest/{sample}/{part}.tsv"
    shell:
        "evenet ingest {input:q} --format {params.fmt} --step-size {params.step} --needs {params.needs:q} --no-progress"
        " -o {output:q} > {log:q} 2>&1"
