"""ISO ILL (ISO 10160/10161-1, protocol versions 1 and 2): BER APDUs over TCP.

Layers, as in ``shelfnet.z3950``: ``codec`` (ASN.1/BER), ``apdus`` (frozen values),
``states`` (the standard's requester and responder state tables), ``protocol`` (sans-I/O
connection), ``server`` and ``client`` (asyncio transports).
"""
