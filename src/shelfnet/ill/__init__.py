"""Interlibrary loan: borrowing, lending and document delivery transactions, the queues
staff work through, the rules that route requests between them, and their storage.

    model.py       transactions, citations, patrons, staff users, partner libraries
    workflow.py    statuses (queues), the one table of allowed transitions, staff actions,
                   soft locks
    routing.py     routing rules: first match wins, chains stop at a loop or a refusal
    copyright.py   the CONTU rule of five and its report
    tables.py      the mapped tables; store.py the store; migrations/ its schema
    sample.py      a small sample service for trying shelfnet out
"""
