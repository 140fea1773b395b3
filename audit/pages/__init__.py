"""The audit log's pages beyond Django's list, one module each."""
