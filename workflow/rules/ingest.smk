# ROOT file -> the reader-independent event record (one job per input file).


rule ingest:
    input:
        raw_file,
    output:
        "results/ingested/{sample}/{part}.parquet",
    params:
        fmt=lambda w: config["samples"][w.sample]["format"],
        step=config["step_size"],
    log:
        "logs/ingest/{sample}/{part}.log",
    benchmark:
        "benchmarks/ingest/{sample}/{part}.tsv"
    shell:
        "evenet ingest {input:q} --format {params.fmt} --step-size {params.step} --no-progress -o {output:q} > {log:q} 2>&1"
