"""The appointments API server: the system of record. It never imports Qt."""
