"""Encompass Desk: the domain package. Importable without Streamlit."""
