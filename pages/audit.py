"""Audit (admins only): who did what and when, filtered by user, action and period; CSV download."""

import streamlit as st

from ocops import audit, export
from ocops.ui import auth, components
from ocops.ui.data import page_context

context = page_context()
auth.require(context, "audit", "The audit log is for administrators.")
st.title("Audit")
st.caption("Every sign-in, sign-out, refused access, view, export, report, import, batch removal and preset "
           "change. The log is append-only; `python -m ocops audit --verify` checks that nobody changed it.")

everything = audit.entries(context.engine)
user_col, action_col, since_col, until_col = st.columns(4)
user = user_col.selectbox("User", [None, *sorted({e["user"] for e in everything})], key="audit_user",
                          format_func=lambda u: "All users" if u is None else u)
action = action_col.selectbox("Action", [None, *audit.ACTIONS], key="audit_action",
                              format_func=lambda a: "All actions" if a is None else a)
since = since_col.date_input("From", value=None, key="audit_since", format="YYYY-MM-DD")
until = until_col.date_input("To", value=None, key="audit_until", format="YYYY-MM-DD")

chosen = audit.entries(context.engine, user=user, action=action, since=since, until=until)
table = audit.table(chosen)
st.dataframe(table, hide_index=True, key="audit_table")
st.download_button(f"Download {len(table):,} entries as CSV", data=export.to_csv(table), file_name="ocops_audit.csv",
                   mime="text/csv", icon=":material/download:", on_click="ignore", key="audit_csv")

st.subheader("Users and their scopes")
st.caption("Each user's role and scope as their claims granted them at their latest sign-in. Claims are set in "
           "the identity provider; a change takes effect at the user's next sign-in.")
components.table(audit.users_seen(everything), {"user": "User", "signed_in": "Latest sign-in", "role": "Role",
                                                "scope": "Scope"})
