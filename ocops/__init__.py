"""ocops: a dashboard and command line for organised-crime operation results.

The core package never imports Streamlit; only ``ocops.ui`` does.
"""

__version__ = "0.1.0"
