"""SRU (Search/Retrieve via URL, versions 1.1, 1.2 and 2.0): client now, server to follow."""
