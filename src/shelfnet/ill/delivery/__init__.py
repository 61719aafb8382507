"""Document delivery: suppliers send PDFs and TIFFs straight to the request they fill.

The protocol (docs/delivery-protocol.md) runs on TCP port 7968, optionally inside TLS:
``wire`` (bytes), ``protocol`` (sans-I/O core), ``checks`` (acceptance by structure),
``spool`` (streaming to disk), ``server`` and ``client`` (asyncio), ``settings``, ``ports``.
"""
