# EveNet pipeline: ROOT (NanoAOD | Delphes) -> preselection -> point-cloud HDF5 -> ...
# Run:   snakemake --profile profiles/local all
# Rules are thin shells over the `evenet` CLI; the logic lives in src/evenet.

import os
import sys

from snakemake.utils import min_version

from analyses.xyh.grid import add_grid_samples
from evenet.config import check_config, validate_schema
from evenet.errors import ConfigError

# Rules run the analyses as `python -m analyses.<name>`: their shells (any working
# directory, any cluster node) find the project's analyses/ package through this.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")]))

min_version("8.20")


configfile: "config/config.yaml"


# `snakemake --report results/report.zip`: every output marked report(...), by category.
report: "workflow/report/workflow.rst"


try:
    # the X -> YH mass-point table adds its signal samples first, so they are validated like the rest
    XYH_GRID = add_grid_samples(config)
    validate_schema(config, workflow.source_path("workflow/schemas/config.schema.yaml"))
    SELECTIONS = check_config(config)
except ConfigError as err:
    sys.exit(f"evenet: config error: {err}")


include: "workflow/rules/common.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/pointcloud.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/xyh.smk"
include: "workflow/rules/ttbar_qe.smk"
include: "workflow/rules/cathode.smk"
include: "workflow/rules/systematics.smk"
include: "workflow/rules/haa.smk"


localrules:
    all,


rule all:
    input:
        pointcloud_outputs(),
        training_outputs(),
        xyh_all_outputs(),
        ttqe_outputs(),
        cathode_outputs() if CATHODE else [],
        systematics_outputs(),
        haa_outputs(),
