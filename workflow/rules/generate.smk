# Demo samples: Pythia 8 + parametric detector, written as NanoAOD or Delphes (one job per file).


rule generate:
    input:
        detector=config["detector"],
    output:
        "results/generated/{sample}/{part}.root",
    params:
        process=lambda w: config["samples"][w.sample]["generate"]["process"],
        events=lambda w: config["samples"][w.sample]["generate"]["events"],
        seed=lambda w: config["samples"][w.sample]["generate"]["seed"],
        fmt=lambda w: config["samples"][w.sample]["format"],
        params=lambda w: as_json(config["samples"][w.sample]["generate"]["params"]),
        level=lambda w: config["samples"][w.sample]["generate"]["level"],
    priority: pretraining_first
    log:
        "logs/generate/{sample}/{part}.log",
    benchmark:
        "benchmarks/generate/{sample}/{part}.tsv"
    shell:
        "evenet generate --process {params.process} --events {params.events} --seed {params.seed}"
        " --part {wildcards.part} --format {params.fmt} --params {params.params:q} --level {params.level}"
        " --detector {input.detector:q} --output {output:q} > {log:q} 2>&1"
