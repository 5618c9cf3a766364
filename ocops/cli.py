"""`python -m ocops`: the automation interface (CONTRACT.md section 6).

A thin layer over the library: parse arguments, call ocops, print JSON.
Every :class:`OcopsError` becomes one line on stderr plus ``{"error": ...}``
on stdout and exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ocops import audit, export, importer, links, queries, snapshot
from ocops.config import Settings, load_settings
from ocops.errors import AuditTampered, BadFilter, OcopsError, StoreError
from ocops.geo import CountryIndex, load_countries
from ocops.ingest.mapping import Mapping
from ocops.seized_items import load_seized_items
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", action="append", default=[], help="region name (repeatable)")
    parser.add_argument("--country", action="append", default=[], help="country name or ISO code (repeatable)")
    parser.add_argument("--crime-area", action="append", default=[], help="crime area (repeatable)")
    parser.add_argument("--operation", action="append", default=[], help="operation name (repeatable)")
    parser.add_argument("--seized-item", action="append", default=[], help="seized item, e.g. cocaine (repeatable)")
    parser.add_argument("--since", help="first day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--until", help="last day, YYYY-MM-DD (inclusive)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m ocops", description="ocops: organised-crime operation results.")
    parser.add_argument("--db", help="database URL (default: OCOPS_DATABASE_URL or data/ocops.db)")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import a CSV/TSV/TXT/XLSX file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--mapping", type=Path, help="column mapping JSON (CONTRACT.md section 2)")
    imp.add_argument("--all-or-nothing", action="store_true", help="import nothing unless every row is valid")
    imp.add_argument("--dry-run", action="store_true", help="report what the import would do; write nothing")
    order = imp.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True)
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False)

    summary = sub.add_parser("summary", help="totals (and groups) for a filter")
    _add_filters(summary)
    summary.add_argument("--by", choices=queries.GROUPINGS)

    exp = sub.add_parser("export", help="write the filtered records")
    _add_filters(exp)
    exp.add_argument("--format", choices=("json", "csv"), default="json")
    exp.add_argument("--out", type=Path, help="output file (default: standard output)")

    rep = sub.add_parser("report", help="the briefing of a filter as one HTML or PDF document")
    _add_filters(rep)
    rep.add_argument("--format", choices=("html", "pdf"), default="pdf")
    rep.add_argument("--out", type=Path, required=True, help="output file")

    sub.add_parser("batches", help="list import batches")
    remove = sub.add_parser("remove-batch", help="undo one import batch exactly")
    remove.add_argument("batch_id", type=int)

    demo = sub.add_parser("demo-data", help="write a synthetic canonical CSV")
    demo.add_argument("--rows", type=int, default=1000)
    demo.add_argument("--out", type=Path, required=True)
    demo.add_argument("--seed", type=int, default=42)

    sub.add_parser("load-sample", help="load the illustrative sample into an empty store")

    log = sub.add_parser("audit", help="print the audit log as JSON, or verify its hash chain")
    log.add_argument("--since", help="first day (YYYY-MM-DD) or time (ISO 8601, UTC)")
    log.add_argument("--user", help="only this user (a CLI user is cli:<OS user>)")
    log.add_argument("--action", choices=audit.ACTIONS, help="only this action")
    log.add_argument("--verify", action="store_true", help="check the hash chain; exit 1 if it was tampered with")
    return parser


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def _filter(args: argparse.Namespace, settings: Settings) -> queries.Filter:
    return queries.make_filter(
        load_countries(settings.countries_file, settings.regions_file), load_taxonomy(settings.crime_areas_file),
        regions=args.region, country_values=args.country, crime_areas=args.crime_area,
        operations=args.operation, seized_items=args.seized_item, since=args.since, until=args.until,
        items=load_seized_items(settings.seized_items_file),
    )


def _vocabulary(settings: Settings) -> importer.Vocabulary:
    return importer.Vocabulary(load_countries(settings.countries_file, settings.regions_file),
                               load_taxonomy(settings.crime_areas_file), load_seized_items(settings.seized_items_file))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Carry out one parsed command; return the exit code."""
    if args.command == "demo-data":
        from ocops.demo import write_demo_csv

        written = write_demo_csv(args.rows, args.out, seed=args.seed)
        _print({"rows": written, "out": str(args.out)})
        return 0
    engine: Engine = open_store(settings.database_url)
    try:
        return _audited(engine, args, settings)
    finally:
        engine.dispose()  # main() may be called many times in one process (tests, automation)


def _audit_command(engine: Engine, args: argparse.Namespace) -> int:
    if args.verify:
        result = audit.verify(engine)
        if not result.ok:
            raise AuditTampered(f"The audit log was tampered with: {result.reason}. "
                                "Restore the store from a backup and investigate.")
        _print({"verified": True, "entries": result.entries})
        return 0
    since: dt.date | dt.datetime | None = None
    if args.since:
        try:
            since = dt.datetime.fromisoformat(args.since) if "T" in args.since else dt.date.fromisoformat(args.since)
        except ValueError as exc:
            raise BadFilter(f"--since '{args.since}' is not a date: use YYYY-MM-DD.") from exc
    _print(audit.entries(engine, since=since, user=args.user, action=args.action))
    return 0


def _audited(engine: Engine, args: argparse.Namespace, settings: Settings) -> int:
    """Run the command and record what it did in the audit log as ``cli:<OS user>``."""
    detail: dict[str, Any] = {}
    code = _run_on_store(engine, args, settings, detail)
    if args.command in ("import", "export", "report", "remove-batch", "load-sample") and \
            not getattr(args, "dry_run", False):
        audit.record(engine, audit.cli_user(), args.command.replace("load-sample", "import"), detail)
    return code


def _run_on_store(engine: Engine, args: argparse.Namespace, settings: Settings, detail: dict[str, Any]) -> int:
    countries = load_countries(settings.countries_file, settings.regions_file)
    if args.command == "audit":
        return _audit_command(engine, args)
    if args.command == "import":
        importer.use_system_allocator()
        mapping = Mapping.from_file(args.mapping) if args.mapping else Mapping()
        if args.dayfirst is not None:
            mapping.dayfirst = args.dayfirst
        report = importer.import_path(
            engine, args.file, _vocabulary(settings), mapping=mapping, user=settings.user,
            all_or_nothing=args.all_or_nothing, dry_run=args.dry_run, max_bytes=settings.max_upload_bytes,
        )
        _print(report.to_dict())
        detail.update(file=args.file.name, batch_id=report.batch_id, imported=report.imported,
                      updated=report.updated, rejected=report.rejected)
        return report.exit_code
    if args.command in ("summary", "export"):
        flt = _filter(args, settings)
        if args.command == "summary":
            needs_items = args.by == "seized_item" or bool(flt.seized_items)
            frame = snapshot.cached_frame(engine, settings.cache_dir, columns=queries.SUMMARY_COLUMNS,
                                          quantities_needed=needs_items)  # the app's path, fewer columns
            _print(queries.summary(frame, flt, countries, by=args.by))
            return 0
        frame = queries.records(engine, flt, countries)
        detail.update(filter=flt.to_dict(), format=args.format, rows=len(frame))
        text = export.to_csv(frame) if args.format == "csv" else export.to_json(frame) + "\n"
        if args.out:
            _write(args.out, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "report":
        return _report(engine, args, settings, countries, detail)
    if args.command == "batches":
        _print(importer.list_batches(engine))
        return 0
    if args.command == "remove-batch":
        removal = importer.remove_batch(engine, args.batch_id, user=settings.user)
        _print(removal.to_dict())
        detail.update(removal.to_dict())
        return 0
    if args.command == "load-sample":
        loaded = importer.load_sample_if_empty(engine, settings.sample_file, _vocabulary(settings))
        _print(loaded.to_dict() if loaded else {"loaded": False, "reason": "the store already has batches"})
        detail.update(file="sample", batch_id=loaded.batch_id if loaded else None)
        return 0
    raise AssertionError(args.command)  # pragma: no cover - argparse restricts commands


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OcopsError(f"Cannot write {path}: {exc.strerror}. Choose a writable --out path.") from exc


def _report(engine: Engine, args: argparse.Namespace, settings: Settings, countries: CountryIndex,
            detail: dict[str, Any]) -> int:
    """`report`: the briefing of the filter, written to --out; prints what was written."""
    from ocops import report  # kaleido loads only for this command
    from ocops.report.chromium import start_in_background

    start_in_background()  # Chromium starts while the filter and the figures load
    flt = _filter(args, settings)
    period = links.CUSTOM if flt.since or flt.until else "all-time"
    facts = report.provenance(engine, settings.user, settings.report_marking)
    data = report.render(snapshot.cached_frame(engine, settings.cache_dir), flt, countries, period, facts,
                         args.format)
    _write(args.out, data)
    detail.update(filter=flt.to_dict(), format=args.format, bytes=len(data))
    _print({"out": str(args.out), "format": args.format, "bytes": len(data), "filters": flt.to_dict(),
            "data_version": facts.data_version})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn every failure into a plain message."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(database_url=args.db)
        return run(args, settings)
    except OcopsError as exc:
        message = str(exc)
        exit_code = exc.exit_code
    except SQLAlchemyError as exc:
        message = str(StoreError(f"The store failed: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"))
        exit_code = 2
    except KeyboardInterrupt:
        message, exit_code = "Interrupted; an import in progress was rolled back.", 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback
        message = f"Unexpected error ({exc.__class__.__name__}: {exc}). Please report it with the command you ran."
        exit_code = 3
    message = " ".join(message.split())  # one line, whatever a driver's message looked like
    sys.stderr.write(f"error: {message}\n")
    _print({"error": message})
    return exit_code


__all__ = ["build_parser", "main", "run"]
