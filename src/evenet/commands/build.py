"""``evenet build``: selected events of one sample -> point-cloud HDF5."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("build", help="write the point-cloud HDF5 of one sample")
    p.add_argument("input", help="selected-events Parquet file (from evenet select)")
    p.add_argument("-o", "--output", required=True, help="output HDF5 file")
    p.add_argument("--sample", required=True, help="sample name, stored as an attribute")
    p.add_argument("--stream", required=True, help="stream name, stored as an attribute")
    p.add_argument("--classes", nargs="*", default=[], help="class names of the stream, in label order")
    p.add_argument("--truth", default="{}",
                   help="the stream's truth block as JSON (or @file): its resonances, product symmetries and "
                        "identical resonances are stored as the file's assignment topology")
    p.add_argument("--parameters", default=None,
                   help="JSON (or @file) {names: [...], values: [[...], ...], seed: N}: hypothesis parameters per event"
                        " for a parameterised classifier; several rows: each event draws one (docs/pointcloud.md)")
    p.set_defaults(func=run)


def run(args) -> int:
    from evenet.commands.select import json_arg
    from evenet.pipeline.build import build_pointcloud
    from evenet.pointcloud.parameters import ParameterSpec
    from evenet.pointcloud.topology import assignment_topology

    topology = assignment_topology(json_arg(args.truth, "truth"))
    parameters = ParameterSpec.from_json(json_arg(args.parameters, "parameters")) if args.parameters else None
    build_pointcloud(args.input, args.output, {"sample": args.sample, "stream": args.stream, "class_names": args.classes},
                     topology=topology, parameters=parameters)
    return 0
