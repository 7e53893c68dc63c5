"""``evenet ingest``: one NanoAOD/Delphes ROOT file -> the event record as chunked Parquet."""

from __future__ import annotations

from evenet.io.branches import FORMATS, STEP_SIZE


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ingest", help="read a NanoAOD/Delphes ROOT file into the event record (Parquet)")
    p.add_argument("input", help="ROOT file")
    p.add_argument("--format", required=True, choices=FORMATS, help="input format")
    p.add_argument("-o", "--output", required=True, help="output Parquet file")
    p.add_argument("--step-size", type=int, default=STEP_SIZE, help="events per chunk (bounds memory)")
    p.add_argument("--needs", default=None,
                   help='JSON {"required": [...], "optional": [...]} of record keys to read (e.g. "Muon", '
                        '"Muon.tightId", "HLT.IsoMu24"); default: the full record. The workflow passes the union '
                        "of the needs of the selections the sample feeds (docs/selections.md)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from evenet.io.needs import FULL_RECORD, RecordNeeds
    from evenet.pipeline.ingest import ingest_file

    needs = FULL_RECORD if args.needs is None else RecordNeeds.from_json(args.needs)
    ingest_file(args.input, args.format, args.output, step_size=args.step_size, progress=not args.no_progress, needs=needs)
    return 0
