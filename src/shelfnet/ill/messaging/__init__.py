"""Messaging between ILL partners: staff actions become outgoing protocol messages through
a durable outbox, and incoming messages move the local transaction.

    settings.py   MessagingSettings (the ``[ill.messaging]`` section, once wired in)
    model.py      messages, their directions, states and kinds
    mapping.py    which status change sends which message (one table)
    outbox.py     the message log and outbox: history scanner, leases, retries, resend
    ports.py      ``Adapter``: what a protocol (ISO ILL, ISO 18626) plugs in
    isoill.py     the ISO ILL adapter: APDUs from transactions, sending with IsoIllClient
    states.py     ISO ILL protocol state per transaction, kept in the database
    inbox.py      incoming ISO ILL APDUs: log, idempotence, partner check, moving transactions
    service.py    MessagingService: the round (scan, send), run by ``shelfnet serve``

See docs/ill-messaging.md.
"""
