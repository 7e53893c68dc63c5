# Selected events -> point-cloud HDF5 per sample (with the stream's class names and assignment
# topology as attributes); normalisation per stream (training split only).


rule build:
    input:
        "results/selected/{stream}/{sample}.parquet",
    output:
        "results/pointcloud/{stream}/{sample}.h5",
    params:
        classes=lambda w: " ".join(config["streams"][w.stream]["classes"]),
        truth=lambda w: as_json(config["streams"][w.stream]["truth"]),
        parameters=lambda w: build_parameters(w.stream, w.sample),
    priority: pretraining_first
    log:
        "logs/build/{stream}/{sample}.log",
    benchmark:
        "benchmarks/build/{stream}/{sample}.tsv"
    shell:
        "evenet build {input:q} --stream {wildcards.stream} --sample {wildcards.sample}"
        " --classes {params.classes} --truth {params.truth:q} {params.parameters} -o {output:q} > {log:q} 2>&1"


rule normalize:
    input:
        lambda w: expand("results/pointcloud/{stream}/{sample}.h5", stream=w.stream, sample=stream_samples(w.stream)),
    output:
        "results/pointcloud/{stream}/normalization.json",
    priority: pretraining_first
    log:
        "logs/normalize/{stream}.log",
    benchmark:
        "benchmarks/normalize/{stream}.tsv"
    shell:
        "evenet normalize {input:q} -o {output:q} > {log:q} 2>&1"
