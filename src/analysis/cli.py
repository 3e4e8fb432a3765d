"""The ``takedowns`` command (also ``python -m analysis``). Argument parsing and printing only.

Exit status (docs/commands.md repeats this table):

==== =================================================================================
0    success
1    the data have problems: ``clean --strict`` rejected rows, ``validate`` found bad rows
2    the inputs cannot be used: sources.toml, a file, a header or an argument is wrong
3    an internal error in this package (please report it; TAKEDOWNS_DEBUG=1 shows detail)
==== =================================================================================
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis import __version__, paths

EXIT_OK, EXIT_DATA, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="takedowns",
        description="Clean, measure and chart government takedown orders to social platforms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    clean = commands.add_parser(
        "clean", help="read data/raw (per sources.toml) and write Parquet tables to data/processed"
    )
    clean.add_argument("--raw", type=Path, help="folder holding sources.toml (default data/raw)")
    clean.add_argument("--out", type=Path, help="output folder (default data/processed)")
    clean.add_argument(
        "--strict", action="store_true", help="exit with status 1 when any row was rejected"
    )
    clean.set_defaults(run=_clean)

    validate = commands.add_parser(
        "validate", help="check one raw file against its sources.toml block; row-level messages"
    )
    validate.add_argument("path", type=Path, help="a file declared in sources.toml")
    validate.add_argument(
        "--raw", type=Path, help="folder holding sources.toml (default: the file's)"
    )
    validate.add_argument("--limit", type=int, default=50, help="most problems to print (50)")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from analysis.sources import InputError

    try:
        return args.run(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; outputs were left as they were before this run", file=sys.stderr)
        return 130
    except Exception as err:  # the last line of defence: one sentence, not a traceback
        if os.environ.get("TAKEDOWNS_DEBUG"):
            raise
        print(
            f"internal error: {type(err).__name__}: {err} "
            "(a bug in takedowns; re-run with TAKEDOWNS_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_BUG


def _clean(args: argparse.Namespace) -> int:
    from analysis.clean import clean, summary

    raw = args.raw or paths.raw_dir()
    out = args.out or paths.processed_dir()
    result = clean(raw, out)
    print(summary(result.manifest, out))
    if args.strict and result.manifest["rows_rejected"]:
        return EXIT_DATA
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from analysis.clean import describe_rejects, validate_file

    report = validate_file(args.path, args.raw)
    print(report.headline)
    for line in report.notes:
        print(f"  note: {line}")
    for line in describe_rejects(report.rejects, limit=args.limit):
        print(f"  {line}")
    return EXIT_DATA if len(report.rejects) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
