"""ocops dashboard: the router. Run with `streamlit run dashboard.py`.

Opens the store once (schema upgrade, first-start sample), finds out who is
signed in (and what their role and scope allow), draws the shared sidebar
filters (kept in the URL; not on Upload and Audit) over the records in scope and
the Briefing download, then runs the chosen page (``ocops.ui.router``).
"""

from ocops.ui import router

router.run()
