"""The local catalogue: MARC records in one SQLite file or one PostgreSQL database,
searchable as a Z39.50/SRU backend.

    store.py      the file: records as received, index terms, postings, sort keys (SQLite's
                  SQL); ``CatalogStore``, what every store offers; ``open_store`` by path or URL
    postgres.py   the same tables in PostgreSQL, for large catalogues and several processes
    plansql.py    search plans to SQL, one compiler for both stores (a small dialect each)
    reader.py     record files for import, ISO 2709 or MARCXML, one record at a time
    importer.py   import in batches (crash-safe, re-runnable), export, statistics, deletion
    matchkey.py   match points (001+003, 020$a, ...) that make a re-import an update
    indexing.py   MARC fields -> Bib-1 access points; normalise.py, identifiers.py fold terms
    plan.py       a search as the store runs it; search.py builds it from a type-1 query
    scan.py, sort.py
    formats.py    USMARC, MARCXML, SUTRS and OPAC (holdings.py) records, element sets F and B
    backend.py    CatalogBackend, the ``shelfnet.backend.Backend`` over all of the above
    commands.py   ``shelfnet catalog import|export|stats|delete|reindex|check``
    sample.py     a small sample catalogue

Submodules are imported by name (``from shelfnet.catalog.backend import CatalogBackend``)
so that the command line does not load the Z39.50 codec it does not need.
"""
