"""Interlibrary-loan protocols: how partners' systems talk to shelfnet's ILL service.

``isoill``: ISO 10160/10161 (BER-encoded APDUs over TCP, port 1611).
"""
