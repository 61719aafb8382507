"""ISO 18626: interlibrary loan messages as XML over HTTP (versions 1.2 and 2021).

``messages`` (frozen values and code lists), ``writer`` and ``parser`` (no I/O),
``mapping`` (messages <-> shelfnet's transactions, statuses and actions, in tables),
``endpoint`` (the HTTP listener, a FastAPI router) and ``client`` (httpx). See
docs/iso-18626.md.
"""
