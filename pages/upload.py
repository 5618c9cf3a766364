"""Upload: import a file through the browser with column mapping, a dry run, presets and undo."""

import streamlit as st

from ocops.ui import auth
from ocops.ui import upload_widgets as widgets
from ocops.ui.data import page_context
from ocops.ui.errors import shown_errors

context = page_context()
auth.require(context, "upload", "Uploads need the data officer role.")
st.title("Upload")
st.caption("Import a file of operation results: check how its columns map, run a dry run to see every "
           "rejected row with its reason, then import. Every import can be undone from the history below.")
widgets.flash_messages()

upload = widgets.uploaded_file(context)
if upload is not None:
    with shown_errors():
        upload = widgets.file_facts(context, upload)
        widgets.preset_offers(context, upload)
        mapping = widgets.mapping_editor(context, upload)
        if mapping is not None:
            st.subheader("Dry run and import")
            all_or_nothing = widgets.import_mode()
            widgets.dry_run_section(context, upload, mapping, all_or_nothing)
            widgets.import_section(context, upload, mapping, all_or_nothing)

st.divider()
with shown_errors():
    widgets.history(context)
