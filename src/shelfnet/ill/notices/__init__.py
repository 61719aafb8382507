"""E-mail notices: patrons hear by e-mail when their requests move on.

Notices come from the status history (``ill_history``), which the store writes in the same
database transaction as every status change, so a change is never lost between the status and
its notice. The parts, in the order a notice passes through them:

    model.py      notice templates, the variables they may use, the shipped defaults
    rendering.py  Jinja2 in a sandbox: check a template, render it with a transaction's facts
    outbox.py     the outbox in the ILL database: the history scanner, overdue reminders,
                  leases for senders, retries with backoff
    sender.py     SMTP (smtplib, in a thread): one connection per batch, STARTTLS or TLS
    service.py    ``NoticeService``: scan, schedule, send, again and again
    ports.py      where notices connect out to, for ``shelfnet ports`` and ``doctor``

See docs/ill-notices.md.
"""
