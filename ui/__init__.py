"""Streamlit-side helpers: caching, the shared sidebar and session keys."""
