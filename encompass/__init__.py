"""Encompass Desk: the domain package. Importable without Streamlit."""
import os as _os

from .files import PRIVATE_UMASK as _PRIVATE_UMASK

# Whatever this process creates — the database, DuckDB's write-ahead log and temporary files, the send
# journal, outbox messages, exports — is readable by its owner only (files.secure fixes older files).
_os.umask(_PRIVATE_UMASK)
