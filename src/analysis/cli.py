"""The ``takedowns`` command (also ``python -m analysis``). Argument parsing and printing only.

Exit status (README.md and docs/data-safety.md repeat this table, with every case):

======== =============================================================================
0        success
1        the data have problems: ``clean --strict`` rejected rows, ``validate`` found bad
         rows, ``append`` found bad rows (and appended nothing), a report notebook failed
2        the inputs cannot be used: sources.toml, a file, a header, an argument, or the
         output folder (read-only, full, a file, in the raw folder, locked by another run);
         or an API refused the token, ran out of credits, or kept failing (fetch, watch)
3        an internal error in this package (please report it; TAKEDOWNS_DEBUG=1 shows detail)
130, 143 stopped by SIGINT (Ctrl-C) or SIGTERM; temporaries removed, nothing half-written
======== =============================================================================
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from pathlib import Path

from analysis import __version__
from analysis.core import paths
from analysis.core.times import DEFAULT_TZ

EXIT_OK, EXIT_DATA, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 3

#: Characters a terminal acts on instead of showing: C0/C1 controls (an ESC starts a sequence
#: that can recolour, retitle or clear the terminal) and the bidirectional overrides and
#: isolates that reorder what is shown. Line breaks and tabs stay.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text from the data made safe to print to a terminal: what a terminal would act on is
    written as an escape (``\\x1b``) instead."""
    return _UNSHOWABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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
    clean.add_argument(
        "--route",
        choices=("memory", "pieces"),
        help="clean big CSV sheets in memory or in pieces (default: chosen from their size and "
        "the memory free; docs/scale.md)",
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

    metrics = commands.add_parser(
        "metrics", help="print the numbers behind a report: volume, lag or reversals"
    )
    metrics.add_argument("question", choices=("volume", "lag", "reversals"))
    metrics.add_argument("--data", type=Path, help="folder holding processed/ (default data/)")
    metrics.add_argument("--as-of", default="", help="date the data describe (ISO); default latest")
    metrics.add_argument("--freq", default="M", help="volume period: D, W, M, Q, H or Y (M)")
    metrics.add_argument("--country", default="", help="ISO code of the ordering state, e.g. IN")
    metrics.add_argument("--platform", default="", help="platform, e.g. twitter")
    metrics.add_argument("--start", default="", help="first issue date to include (ISO)")
    metrics.add_argument("--end", default="", help="last issue date to include (ISO)")
    metrics.add_argument(
        "--deadline-hours", type=float, default=36.0, help="deadline when an order states none"
    )
    metrics.add_argument(
        "--acted",
        default="withheld,suspended",
        help="outcomes that count as acting on an order: withheld, suspended, gone "
        "(comma-separated; default withheld,suspended)",
    )
    metrics.add_argument("--lang", choices=("en", "hi"), default="en")
    metrics.add_argument("--format", choices=("table", "csv", "json"), default="table")
    metrics.add_argument(
        "--engine",
        choices=("pandas", "duckdb", "dask"),
        default="pandas",
        help="how a checks dataset is read (docs/scale.md); the numbers are the same (pandas)",
    )
    metrics.set_defaults(run=_metrics)

    append = commands.add_parser(
        "append",
        help="add status-check files (X API lookups, handle lists) to the checks dataset",
    )
    append.add_argument("files", type=Path, nargs="+", metavar="FILE", help="files to add")
    append.add_argument(
        "--dataset", type=Path, help="the dataset folder (default data/processed/datasets/checks)"
    )
    append.add_argument(
        "--raw", type=Path, help="folder holding sources.toml; files it declares are read as such"
    )
    append.add_argument(
        "--kind",
        choices=("x_snapshots", "handle_list"),
        help="kind of undeclared files (default: JSON -> x_snapshots, sheets -> handle_list)",
    )
    append.add_argument(
        "--timezone", default=DEFAULT_TZ, help=f"time zone of times without one ({DEFAULT_TZ})"
    )
    append.add_argument("--limit", type=int, default=50, help="most problems to print (50)")
    append.set_defaults(run=_append)

    fetch = commands.add_parser(
        "fetch",
        help="save new API responses into data/raw, unmodified (Lumen notices; docs/refresh.md)",
    )
    apis = fetch.add_subparsers(dest="api", required=True, metavar="API")
    lumen = apis.add_parser(
        "lumen",
        help="search Lumen and save each page and each notice not held yet",
        description=(
            "Search the Lumen database (token from LUMEN_API_TOKEN) and save every search page "
            "and every notice not already held under data/raw/lumen/, exactly as Lumen sent "
            "them; adds the lumen/notices [[source]] block to sources.toml if missing. A run "
            "starts at the last page the previous run of the same query saved."
        ),
    )
    lumen.add_argument("--recipient", help="recipient name, full text (e.g. Twitter)")
    lumen.add_argument("--jurisdiction", help="jurisdiction, full text (e.g. IN)")
    lumen.add_argument(
        "--country", help="the recipient's country code as Lumen stores it, exact (e.g. US)"
    )
    lumen.add_argument("--start", help="first date received (ISO; local to --timezone)")
    lumen.add_argument("--end", help="last date received, included (ISO)")
    lumen.add_argument("--term", help='words anywhere in the notice; "quoted" for a phrase')
    lumen.add_argument("--per-page", type=int, default=50, help="notices per page (50)")
    lumen.add_argument("--max-pages", type=int, help="stop after this many pages (default: all)")
    lumen.add_argument(
        "--refetch",
        action="store_true",
        help="ask again for notices already held (the earlier copy moves to lumen/superseded/)",
    )
    lumen.add_argument("--from-start", action="store_true", help="page 1 again instead of resuming")
    lumen.add_argument("--raw", type=Path, help="folder holding sources.toml (default data/raw)")
    lumen.add_argument(
        "--timezone", default=DEFAULT_TZ, help=f"time zone of --start/--end ({DEFAULT_TZ})"
    )
    lumen.add_argument(
        "--base-url", help="API address (default $LUMEN_API_URL, else https://lumendatabase.org)"
    )
    lumen.add_argument(
        "--dry-run", action="store_true", help="print the requests it would make; no network"
    )
    lumen.set_defaults(run=_fetch_lumen)

    watch = commands.add_parser(
        "watch",
        help="look up the orders' accounts and posts on X, save the answers, append the checks",
        description=(
            "Look up every account and post of the chosen orders through the X API v2 (token "
            "from X_BEARER_TOKEN), 100 to a request with the withheld field; save each response "
            "unmodified under data/raw/x-lookups/ (its arrival time is its checked_at) and "
            "append it to the checks dataset as `takedowns append` does. Items already gone "
            "(suspended or not found at their last check) are checked less often: only when "
            "that check is older than --recheck-gone-after hours. Prints how many items "
            "changed state since their last check."
        ),
    )
    watch.add_argument(
        "--order",
        action="append",
        default=[],
        metavar="ID",
        help="an order whose items to look up (repeatable; default every order to Twitter/X)",
    )
    watch.add_argument("--data", type=Path, help="folder holding raw/ and processed/ (data/)")
    watch.add_argument(
        "--dataset", type=Path, help="the checks dataset (default processed/datasets/checks)"
    )
    watch.add_argument(
        "--recheck-gone-after",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="look up a suspended or not-found item again only this long after its last check (24)",
    )
    watch.add_argument(
        "--replay",
        action="store_true",
        help="only append saved lookups not yet in the dataset; no network, no token",
    )
    watch.add_argument(
        "--base-url", help="API address (default $X_API_URL, else https://api.x.com)"
    )
    watch.add_argument(
        "--dry-run", action="store_true", help="print the requests it would make; no network"
    )
    watch.set_defaults(run=_watch)

    report = commands.add_parser(
        "report", help="clean if the raw data changed, run the notebooks, write HTML reports"
    )
    report.add_argument("--params", type=Path, help="YAML, JSON or TOML file of parameters")
    report.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="one notebook parameter (repeatable), e.g. -p as_of 2021-02-28",
    )
    report.add_argument("--out", type=Path, help="output folder (default reports/)")
    report.add_argument("--lang", choices=("en", "hi"), help="language of the reports")
    report.add_argument("--force", action="store_true", help="re-run even if nothing changed")
    report.set_defaults(run=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from analysis.core import interrupts

    # Ctrl-C and SIGTERM raise inside the command, so its clean-up runs as for an error.
    with interrupts.handled():
        try:
            return _run(args)
        except KeyboardInterrupt as err:  # the signal came as the command was returning
            return _interrupted(getattr(err, "signum", signal.SIGINT))


def _run(args: argparse.Namespace) -> int:
    from analysis.core import interrupts
    from analysis.core.errors import InputError, os_error_sentence

    try:
        return args.run(args)
    except KeyboardInterrupt as err:
        return _interrupted(getattr(err, "signum", signal.SIGINT))
    except InputError as err:
        print(f"error: {shown(str(err))}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as err:  # a read-only or full disk, a file where a folder belongs...
        sentence = os_error_sentence(err)
        if sentence is None:
            return _bug(err)
        print(f"error: {shown(sentence)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as err:  # the last line of defence: one sentence, not a traceback
        if interrupts.received() is not None:  # e.g. DuckDB's own "interrupted" error
            return _interrupted(interrupts.received())
        return _bug(err)


def _interrupted(signum: int, done: str = "") -> int:
    name = signal.Signals(signum).name
    # Outputs are replaced whole or not at all: what is there is the previous run's or, if
    # the signal came once every file was in place, this run's; never a mix, no temporaries.
    done = done or "nothing half-written was left and the temporaries were removed"
    print(f"interrupted ({name}); {done}", file=sys.stderr)
    return 128 + signum


_SAVED_KEPT = "every response saved before it is kept whole; run the command again to continue"


def _bug(err: Exception) -> int:
    if os.environ.get("TAKEDOWNS_DEBUG"):
        raise err
    print(
        f"internal error: {type(err).__name__}: {shown(str(err))} "
        "(a bug in takedowns; re-run with TAKEDOWNS_DEBUG=1 for the traceback)",
        file=sys.stderr,
    )
    return EXIT_BUG


def _clean(args: argparse.Namespace) -> int:
    from analysis.clean.pipeline import clean, summary

    raw = args.raw or paths.raw_dir()
    out = args.out or paths.processed_dir()
    result = clean(raw, out, route=args.route)
    print(shown(summary(result.manifest, out)))
    if result.plan is not None and result.plan.route == "pieces":
        print(f"Cleaned {result.plan.why}.")
    if args.strict and (result.manifest["rows_rejected"] or result.manifest.get("items_rejected")):
        return EXIT_DATA
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from analysis.clean.pipeline import describe_rejects, validate_file
    from analysis.core.errors import HeaderError

    try:
        report = validate_file(args.path, args.raw)
    except HeaderError as err:
        # The error is one line on stderr; the [source.columns] to start from goes to stdout.
        print(f"error: {shown(str(err))}", file=sys.stderr)
        if err.suggestion:
            print(shown(err.suggestion))
        return EXIT_INPUT
    print(shown(report.headline))
    for line in report.notes:
        print(f"  note: {shown(line)}")
    for line in describe_rejects(report.rejects, limit=args.limit):
        print(f"  {shown(line)}")
    if report.suggestion:
        print("Some headers are not mapped; a [source.columns] block to start from:")
        print(shown(report.suggestion))
    return EXIT_DATA if len(report.rejects) else EXIT_OK


def _metrics(args: argparse.Namespace) -> int:
    from analysis.report import questions

    # Every argument is checked (and a country name or platform alias normalised as `clean`
    # does) before the tables are read.
    given = questions.check_parameters(
        {
            "freq": args.freq,
            "as_of": args.as_of,
            "start": args.start,
            "end": args.end,
            "deadline_hours": args.deadline_hours,
            "country": args.country,
            "platform": args.platform,
            "acted": args.acted,
        }
    )
    filters = {k: given[k] for k in ("country", "platform", "start", "end")}
    tables = questions.load(args.data, engine=args.engine)
    scope = questions.select_orders(tables, **filters)
    if args.question == "volume":
        answer = questions.answer_volume(scope, freq=args.freq, lang=args.lang, **filters)
    elif args.question == "lag":
        answer = questions.answer_lag(
            scope,
            as_of=args.as_of,
            deadline_hours=given["deadline_hours"],
            acted=given["acted"],
            lang=args.lang,
        )
    else:
        answer = questions.answer_reversals(scope, as_of=args.as_of, lang=args.lang)
    table = answer.table
    if table.empty:  # say why in words, never a bare "Empty DataFrame"
        why = questions.explain_empty(tables, args.question, as_of=args.as_of, **filters)
        if args.format == "table":
            print(shown(why))
            return EXIT_OK
        print(shown(why), file=sys.stderr)  # stdout stays machine-readable: an empty table
    if args.format == "csv":
        from analysis.store.export import safe_csv  # order ids and notes may look like formulas

        print(safe_csv(table), end="")
    elif args.format == "json":
        print(table.to_json(orient="records", date_format="iso", force_ascii=False, indent=1))
    else:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(shown(table.to_string(index=False)))
        for line in answer.findings:
            print(f"- {shown(line)}")
    return EXIT_OK


def _append(args: argparse.Namespace) -> int:
    from analysis.clean.pipeline import describe_rejects
    from analysis.scale.append import append_files

    target = args.dataset or paths.dataset_dir("checks")
    raw = args.raw or paths.raw_dir()
    result = append_files(args.files, target, raw_dir=raw, kind=args.kind, timezone=args.timezone)
    done = result.appended
    if done is None:
        print(
            shown(
                f"Nothing appended: {len(result.rejects)} problems in {result.rows_read} rows "
                f"read from {len(result.sources)} file(s); fix them and run it again"
            )
        )
    else:
        print(
            shown(
                f"Appended {result.checks} checks from {len(result.sources)} file(s) to "
                f"{target}: {done.files_written} new file(s), {done.files_skipped} already there"
            )
        )
    for line in result.messages:
        print(f"  note: {shown(line)}")
    for line in describe_rejects(result.rejects, limit=args.limit):
        print(f"  {shown(line)}")
    return EXIT_DATA if done is None else EXIT_OK


def _fetch_lumen(args: argparse.Namespace) -> int:
    from analysis.fetch.lumen import LumenQuery, fetch_lumen

    raw = args.raw or paths.raw_dir()
    query = LumenQuery(
        recipient=args.recipient,
        jurisdiction=args.jurisdiction,
        country=args.country,
        start=args.start,
        end=args.end,
        term=args.term,
        per_page=args.per_page,
        timezone=args.timezone,
    )
    try:
        result = fetch_lumen(
            raw,
            query,
            url=args.base_url,
            refetch=args.refetch,
            from_start=args.from_start,
            max_pages=args.max_pages,
            dry_run=args.dry_run,
        )
    except KeyboardInterrupt as err:
        return _interrupted(getattr(err, "signum", signal.SIGINT), _SAVED_KEPT)
    for line in result.lines(raw):
        print(shown(line))
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    import datetime as dt

    from analysis.clean.pipeline import describe_rejects
    from analysis.fetch import x

    base = args.data or paths.data_dir()
    dataset = args.dataset or paths.dataset_dir("checks", base)
    if args.recheck_gone_after < 0:
        from analysis.core.errors import InputError

        raise InputError(
            f"--recheck-gone-after must be 0 or more hours, not {args.recheck_gone_after}"
        )
    try:
        if args.replay:
            result = x.replay(base / "raw", dataset)
        else:
            if not args.dry_run:
                from analysis.fetch import http

                http.token(http.X)  # a missing token stops the run before anything is done
                _clean_if_stale(base)
            result = x.watch(
                base,
                dataset_dir=dataset,
                orders=args.order,
                recheck_gone_after=dt.timedelta(hours=args.recheck_gone_after),
                url=args.base_url,
                dry_run=args.dry_run,
            )
    except KeyboardInterrupt as err:
        return _interrupted(getattr(err, "signum", signal.SIGINT), _SAVED_KEPT)
    for line in result.lines(dataset):
        print(shown(line))
    for feed in (result.replayed, result.appended):
        if feed is not None:
            for line in describe_rejects(feed.rejects, limit=20):
                print(f"  {shown(line)}")
    return EXIT_OK


def _clean_if_stale(base: Path) -> None:
    """Clean first when the processed tables are missing or older than data/raw (as report
    does), so the items watched are those of the current orders."""
    from analysis.clean.pipeline import clean, summary
    from analysis.core.errors import InputError
    from analysis.report import questions

    try:
        questions.load(base, checks_dataset=False)
    except InputError:
        result = clean(base / "raw", base / "processed")
        print(shown(summary(result.manifest, base / "processed")))


def _report(args: argparse.Namespace) -> int:
    from analysis.core.errors import InputError
    from analysis.report import questions, render

    params = _read_params(args.params) if args.params else {}
    for name, value in args.p:
        params[name] = _parse_value(value)
    # A mistyped parameter stops here, before anything is cleaned, run or written.
    params = questions.check_parameters(params)
    base = Path(params["data_dir"]) if params.get("data_dir") else paths.data_dir()
    if args.out is not None:
        paths.refuse_inside_raw(args.out, base / "raw", "--out")
    try:
        questions.load(base, checks_dataset=False)  # only the cleaned tables' state matters here
    except InputError:  # missing, interrupted or older than data/raw: rebuild first
        # Imported here: a report with nothing to clean (the cached re-run) does without it.
        from analysis.clean.pipeline import clean, summary

        result = clean(base / "raw", base / "processed")
        print(shown(summary(result.manifest, base / "processed")))
    result = render.run_report(
        params=params,
        out_dir=args.out,
        lang=args.lang or params.get("lang", "en"),
        data_fingerprint=questions.data_fingerprint(base),
        force=args.force,
    )
    if not result.ok:
        print(f"Reports not published: {_plural_notebooks(len(result.failures))} failed")
        print(shown(result.message()), file=sys.stderr)
        return EXIT_DATA
    state = "unchanged, reused" if result.cached else "written"
    print(f"Reports {state}: {result.index}")
    return EXIT_OK


def _plural_notebooks(n: int) -> str:
    return "1 notebook" if n == 1 else f"{n} notebooks"


def _parse_value(text: str):
    """A ``-p`` value as YAML would read it, except that dates stay ISO strings."""
    import datetime as dt

    import yaml

    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a date that does not exist (2021-02-30)
        return text
    if isinstance(value, dt.date):
        return text
    return "" if value is None else value


def _read_params(path: Path) -> dict:
    import datetime as dt
    import json
    import tomllib

    from analysis.core.errors import InputError

    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: parameters file not found") from None
    except Exception as err:
        raise InputError(f"{path}: cannot read parameters ({err})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: parameters must be a mapping of name: value")
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
