"""Z39.50 (ANSI/NISO Z39.50-2003, ISO 23950): BER codec, sans-I/O protocol core, asyncio client."""
