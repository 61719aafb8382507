"""The target directory: what is known about every Z39.50 and SRU target, kept in a store
(SQLite, or PostgreSQL for a shared server), filled from ZeeRex records, JSON, CSV and
YAZ-style lists, and managed with ``shelfnet directory``.

    model.py      Address (the identity), Target, statuses, origins, probe results
    checks.py     what is refused and why (markup, bad hosts and ports, ...)
    fields.py     a target as flat named fields (JSON, CSV, the command line)
    zeerex.py     ZeeRex records (with IRSpy's extensions) in and out
    jsonfile.py   shelfnet's own JSON; csvfile.py CSV; yazlist.py host:port/db lists
    merge.py      two descriptions of one address made into one
    importer.py   files -> records -> store; store -> files
    tables.py     the mapped tables; store.py the store; migrations/ its schema
    ports.py      ports in use and targets on each
    commands.py   the ``shelfnet directory`` commands
"""
