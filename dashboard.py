"""ocops dashboard: the router. Run with `streamlit run dashboard.py`.

Opens the store once (schema upgrade, first-start sample), draws the shared
sidebar filters (kept in the URL), then runs the chosen page (``ocops.ui.router``).
"""

from ocops.ui import router

router.run()
