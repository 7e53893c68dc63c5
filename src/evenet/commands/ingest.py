"""``evenet ingest``: one NanoAOD/Delphes ROOT file -> the event record as chunked Parquet."""

from __future__ import annotations

from evenet.io.branches import FORMATS, STEP_SIZE


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ingest", help="read a NanoAOD/Delphes ROOT file into the event record (Parquet)")
    p.add_argument("input", help="ROOT file")
    p.add_argument("--format", required=True, choices=FORMATS, help="input format")
    p.add_argument("-o", "--output", required=True, help="output Parquet file")
    p.add_argument("--step-size", type=int, default=STEP_SIZE, help="events per chunk (bounds memory)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from evenet.pipeline.ingest import ingest_file

    ingest_file(args.input, args.format, args.output, step_size=args.step_size, progress=not args.no_progress)
    return 0
