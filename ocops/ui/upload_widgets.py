"""Widgets of the upload page: file, mapping, presets, dry run, import and history.

The logic lives in :mod:`ocops.uploads`; this module only draws widgets and
keeps the page's state. Widget keys carry the file's digest, so a new file
starts from its own automatic match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ocops import uploads
from ocops.auth import batch_countries, may_remove, reject_out_of_scope, visible_batches
from ocops.errors import AccessDenied, OcopsError
from ocops.importer import import_bytes, list_batches, remove_batch
from ocops.ingest.mapping import Mapping
from ocops.ingest.normalise import Prepared
from ocops.markup import plain
from ocops.presets import PresetInfo, presets_for, save_preset
from ocops.ui import upload_shape as shape
from ocops.ui.auth import record
from ocops.ui.data import Context, clear_caches
from ocops.ui.errors import show_error

UPLOADER = "upload_file"
MODE = "upload_mode"
MODES = ("Import the valid rows", "All or nothing")
_UPLOAD, _PRESET, _DRY, _FLASH, _PENDING = ("_upload", "_upload_preset", "_upload_dry", "_upload_flash",
                                            "_upload_remove_pending")


def _in_scope(context: Context) -> Callable[[Prepared], Prepared]:
    """The post-validation step of a scoped user's import: rows outside the scope are rejected."""
    return lambda prepared: reject_out_of_scope(prepared, context.scope)


def _key(kind: str, upload: uploads.Upload, *parts: str) -> str:
    return ":".join((kind, upload.digest, *parts))


def flash_messages() -> None:
    """Show (once) the outcome of the last import or removal."""
    for kind, text in st.session_state.pop(_FLASH, []):
        (st.success if kind == "success" else st.warning)(plain(text), icon=":material/task_alt:")


def _flash(kind: str, text: str) -> None:
    st.session_state.setdefault(_FLASH, []).append((kind, text))


def uploaded_file(context: Context) -> uploads.Upload | None:
    """The file uploader; the file read and checked (size, type, content), or None with the reason shown."""
    limit_mb = max(1, context.settings.max_upload_mb)
    file = st.file_uploader(f"File of operation results (.csv, .tsv, .txt or .xlsx, up to {limit_mb} MB)",
                            type=["csv", "tsv", "txt", "xlsx"], key=UPLOADER, max_upload_size=limit_mb)
    if file is None:
        st.session_state.pop(_UPLOAD, None)
        return None
    cached = st.session_state.get(_UPLOAD)
    if cached is not None and cached[0] == file.file_id:
        return cached[1]
    try:
        upload = uploads.open_upload(file.getvalue(), file.name, context.settings.max_upload_bytes)
    except Exception as error:  # noqa: BLE001 - shown in plain words; nothing was written
        show_error(error)
        return None
    st.session_state[_UPLOAD] = (file.file_id, upload)
    return upload


def file_facts(context: Context, upload: uploads.Upload) -> uploads.Upload:
    """What was detected (one line of small text) and the header row; the file as read from that row."""
    facts = st.empty()
    upload = shape.header_row(upload, context.settings.max_upload_bytes)
    facts.caption(plain(uploads.file_facts(upload)))
    return upload


def _widget_state(upload: uploads.Upload, context: Context, mapping: Mapping) -> dict[str, Any]:
    """Widget values that show ``mapping`` (a preset) for this file."""
    state: dict[str, Any] = {}
    for header, choice in uploads.choices_for(upload.headers, mapping).items():
        state[_key("col", upload, header)] = choice
    for field, value in mapping.constants.items():
        state[_key("const", upload, field)] = _option(field, value, context) or value
    for field, translations in mapping.values.items():
        for source, target in translations.items():
            state[_key("val", upload, field, source)] = (uploads.SKIP_VALUE if target is None
                                                         else _option(field, target, context) or "")
    order = {None: "detected", True: "day-first", False: "month-first"}[mapping.dayfirst]
    state[_key("dayorder", upload)] = order
    state.update(shape.preset_state(upload, mapping))
    return state


def _option(field: str, value: str, context: Context) -> str | None:
    """``value`` as one of the selectbox options of a crime area or country (None if unknown)."""
    if field == "crime_area":
        return context.vocabulary.taxonomy.resolve(value)
    if field == "country":
        country = context.countries.resolve(value)
        return country.name if country else None
    return value


def _apply_preset(upload: uploads.Upload, context: Context, preset: PresetInfo) -> None:
    st.session_state[_PRESET] = (upload.digest, preset.name, preset.mapping)
    st.session_state.update(_widget_state(upload, context, preset.mapping))


def preset_offers(context: Context, upload: uploads.Upload) -> None:
    """Offer the presets made for files with these headers, one click each."""
    offers = presets_for(context.engine, upload.headers)
    if not offers:
        return
    st.info(f"{len(offers)} saved mapping(s) fit this file's columns.", icon=":material/bookmark:")
    for preset in offers:
        st.button(f"Apply preset “{plain(preset.name)}”", key=_key("apply", upload, preset.name),
                  on_click=_apply_preset, args=(upload, context, preset))


def _preset_mapping(upload: uploads.Upload) -> Mapping:
    applied = st.session_state.get(_PRESET)
    return applied[2] if applied and applied[0] == upload.digest else Mapping()


def _column_choices(upload: uploads.Upload) -> dict[str, str]:
    st.subheader("Columns")
    st.caption("Choose the field each column fills. 'Not a field' columns still tell rows apart; "
               "'ignore' drops them entirely.")
    automatic = uploads.choices_for(upload.headers)
    choices: dict[str, str] = {}
    grid = st.columns(3)
    for index, header in enumerate(upload.headers):
        key = _key("col", upload, header)
        st.session_state.setdefault(key, automatic[header])
        with grid[index % 3]:
            choices[header] = st.selectbox(plain(header), uploads.COLUMN_CHOICES, key=key,
                                           format_func=uploads.choice_label)
            samples = upload.inspection.samples.get(header, [])
            st.caption("e.g. " + ", ".join(plain(s[:40]) for s in samples) if samples else "(empty)")
    return choices


def _constants(context: Context, upload: uploads.Upload, choices: dict[str, str], preset: Mapping) -> dict[str, str]:
    fields = uploads.constant_fields(choices, preset)
    if not fields:
        return {}
    st.subheader("Values for every row")
    st.caption("The file has no column for these fields: give one value for all rows.")
    constants: dict[str, str] = {}
    for field in fields:
        key = _key("const", upload, field)
        if field in uploads.VALUE_FIELDS:
            options = uploads.value_options(field, context.vocabulary)
            constants[field] = st.selectbox(field, options, index=None, key=key, placeholder="Choose…") or ""
        else:
            constants[field] = st.text_input(field, key=key)
    return constants


def _values(context: Context, upload: uploads.Upload, choices: dict[str, str],
            preset: Mapping) -> dict[str, dict[str, str | None]]:
    values: dict[str, dict[str, str | None]] = {f: dict(m) for f, m in preset.values.items()}
    for field in uploads.VALUE_FIELDS:
        header = next((h for h, c in choices.items() if c == field), None)
        if header is None:
            continue
        unknown = uploads.unknown_values(upload.raw, header, field, context.vocabulary)
        if not unknown:
            continue
        st.subheader(f"Unknown {field.replace('_', ' ')} values")
        st.caption("Rows with these values are rejected unless you map them.")
        options = ["", uploads.SKIP_VALUE, *uploads.value_options(field, context.vocabulary)]
        for item in unknown:
            hint = f" (closest: {', '.join(item.suggestions)})" if item.suggestions else ""
            rows = f"{item.rows:,} row" + ("" if item.rows == 1 else "s")
            chosen = st.selectbox(f"“{plain(item.value)}” · {rows}{plain(hint)}", options,
                                  key=_key("val", upload, field, item.value),
                                  format_func=lambda o: o or "(not mapped: rows rejected)")
            values.setdefault(field, {})[item.value] = None if chosen == uploads.SKIP_VALUE else chosen
    return values


def _day_order(upload: uploads.Upload) -> bool | None:
    guess = upload.inspection.dayfirst_guess
    detected = {True: "as detected (day first)", False: "as detected (month first)",
                None: "as detected (no ambiguous dates)"}[guess]
    labels = {"detected": detected, "day-first": "day first (31/12/2024)", "month-first": "month first (12/31/2024)"}
    order = st.selectbox("Date order", list(uploads.DAY_ORDERS), key=_key("dayorder", upload),
                         format_func=labels.__getitem__)
    return uploads.DAY_ORDERS[str(order)]


def mapping_editor(context: Context, upload: uploads.Upload) -> Mapping | None:
    """Column choices, rows, long format, constants, value mapping, dates and repeated rows;
    the mapping, or None while incomplete."""
    preset = _preset_mapping(upload)
    choices = _column_choices(upload)
    st.subheader("Rows and shape")
    where = shape.row_filters(upload)
    measures = shape.long_format(upload)
    constants = _constants(context, upload, choices, preset)
    values = _values(context, upload, choices, preset)
    st.subheader("Dates and repeated rows")
    dayfirst = _day_order(upload)
    fiscal = shape.fiscal_year(upload)
    duplicates = shape.duplicates(upload)
    for field, headers in uploads.duplicate_targets(choices).items():
        st.warning(plain(f"{', '.join(headers)} are all mapped to {field}: only {headers[0]} will be read."))
    missing = uploads.missing_required(choices, constants, measures)
    if missing:
        st.warning(f"Still needed: {', '.join(missing)}. Map a column to each, or give a value for every row.",
                   icon=":material/rule:")
        return None
    header_row = upload.inspection.header_row
    mapping = uploads.build_mapping(upload.headers, choices, constants, values, dayfirst,
                                    header_row=None if header_row == 1 else header_row, where=where,
                                    measures=measures, fiscal_year_start=fiscal, duplicates=duplicates)
    if preset is not None:  # the page does not edit a preset's further quantities: they carry over
        mapping.quantities = list(preset.quantities)
    with st.expander("Mapping JSON (for the command line: --mapping FILE)"):
        st.code(mapping.to_json(), language="json")
    _save_preset(context, upload, mapping)
    shape.columns_table(upload, mapping)
    return mapping


def _save_preset(context: Context, upload: uploads.Upload, mapping: Mapping) -> None:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input("Save this mapping as a preset", key=_key("preset_name", upload),
                           placeholder="e.g. Toronto arrests")
    if right.button("Save preset", key=_key("save_preset", upload)):
        saved = save_preset(context.engine, name, upload.headers, mapping)
        record(context, "preset-save", {"preset": saved.name, "headers": upload.headers})
        st.success(f"Saved preset “{plain(saved.name)}”: it will be offered for files with these columns.")


def import_mode() -> bool:
    """The valid rows or all or nothing; True for all or nothing."""
    return st.radio("Rows to import", MODES, key=MODE, horizontal=True) == MODES[1]


def dry_run_section(context: Context, upload: uploads.Upload, mapping: Mapping, all_or_nothing: bool) -> None:
    """The dry run button and, for the current mapping, its counts, preview and validation report."""
    signature = (upload.digest, mapping.to_json(), all_or_nothing)
    if st.button("Dry run", key="upload_dry_run", icon=":material/fact_check:"):
        fresh = uploads.dry_run(context.engine, upload, context.vocabulary, mapping,
                                context.settings.max_upload_bytes, all_or_nothing, restrict=_in_scope(context))
        st.session_state[_DRY] = (signature, fresh)
    stored = st.session_state.get(_DRY)
    if not stored or stored[0] != signature:
        st.caption("Run a dry run to see what an import would change; nothing is written.")
        return
    result: uploads.DryRun = stored[1]
    figures = uploads.counts(result.report)
    for column, (label, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
        column.metric(label, f"{value:,}")
    for note in uploads.dry_run_notes(result.report):
        st.info(plain(note))
    shape.skipped(result.report.skipped, uploads.skipped_frame(result.report))
    st.caption(f"First {len(result.preview)} rows as they would be stored")
    st.dataframe(result.preview, hide_index=True, key="upload_preview")
    if result.errors.empty:
        st.success("Every row is valid.")
        return
    st.caption(f"Validation report: {len(result.errors):,} problems in {result.report.rejected:,} rows")
    st.dataframe(result.errors, hide_index=True, key="upload_errors")
    st.download_button("Download the rejected rows (CSV)", data=uploads.rejected_csv(upload.raw, result.report.errors),
                       file_name=f"rejected_{upload.filename}.csv", mime="text/csv", on_click="ignore",
                       key="upload_rejected_csv", icon=":material/download:")


def import_section(context: Context, upload: uploads.Upload, mapping: Mapping, all_or_nothing: bool) -> None:
    """The Import button: progress while it runs, then caches cleared and the outcome shown."""
    if not st.button("Import", key="upload_import", type="primary", icon=":material/upload:"):
        return
    with st.status(f"Importing {plain(upload.filename)}…", expanded=True) as status:
        bar = st.progress(0.0)

        def advance(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=plain(message))

        report = import_bytes(
            context.engine, upload.data, upload.filename, context.vocabulary, mapping=mapping,
            user=context.identity.user, all_or_nothing=all_or_nothing,
            max_bytes=context.settings.max_upload_bytes, restrict=_in_scope(context),
            progress=advance)
        status.update(label=f"Imported {plain(upload.filename)}", state="complete")
    record(context, "import", {"file": upload.filename, "batch_id": report.batch_id, "imported": report.imported,
                               "updated": report.updated, "rejected": report.rejected})
    clear_caches()
    st.session_state.pop(_DRY, None)
    _flash("success" if report.batch_id is not None else "warning", uploads.import_message(report))
    st.rerun()


def _confirm_removal(context: Context, batch: dict[str, Any]) -> None:
    st.session_state.pop(_PENDING, None)
    try:
        if not may_remove(int(batch["batch_id"]), batch_countries(context.engine), context.scope):
            raise AccessDenied(f"Batch #{batch['batch_id']} holds records outside your scope "
                               f"({context.scope.describe()}): ask an administrator to remove it.")
        removal = remove_batch(context.engine, int(batch["batch_id"]), user=context.identity.user)
    except OcopsError as error:  # e.g. another user removed it first
        _flash("warning", str(error))
        return
    record(context, "remove-batch", removal.to_dict())
    clear_caches()
    _flash("success", uploads.removal_message(removal))


def history(context: Context) -> None:
    """Every batch with its counts; Remove (with a confirmation) undoes exactly one batch."""
    st.subheader("Import history")
    batches = visible_batches(list_batches(context.engine), batch_countries(context.engine), context.scope)
    if not batches:
        st.caption("No imports yet.")
        return
    st.dataframe(uploads.history_frame(batches), hide_index=True, key="upload_history")
    by_id = {b["batch_id"]: b for b in batches if not b.get("removed_at")}  # removed ones stay listed above
    if not by_id:
        return
    chosen = st.selectbox("Batch", list(by_id), key="remove_batch_id",
                          format_func=lambda b: uploads.batch_label(by_id[b]))
    if st.session_state.get(_PENDING) != chosen:
        st.button("Remove", key="remove_batch", icon=":material/delete:",
                  on_click=lambda: st.session_state.update({_PENDING: chosen}))
        return
    batch = by_id[chosen]
    st.warning(f"Remove batch #{chosen} ({plain(batch['filename'])})? "
               f"Its {batch['current_records']:,} current records are "
               "deleted and any values it replaced come back. This cannot be undone.", icon=":material/warning:")
    left, right = st.columns(2)
    left.button("Yes, remove this batch", key="remove_confirm", type="primary", on_click=_confirm_removal,
                args=(context, batch))
    right.button("Cancel", key="remove_cancel", on_click=lambda: st.session_state.pop(_PENDING, None))
