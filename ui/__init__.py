"""The Streamlit user interface (pages in ``ui/pages``); the logic lives in the ``finder`` package."""
