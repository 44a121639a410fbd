"""The playground's domain: catalog, requests, clients, results, export (code), presets.

Nothing here imports Streamlit: the UI calls in, never the other way round.
"""
