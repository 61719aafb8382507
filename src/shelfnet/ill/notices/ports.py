"""Where notices connect out to, for ``shelfnet ports`` and ``shelfnet doctor``."""

from __future__ import annotations

from shelfnet.config import Settings
from shelfnet.ill.notices.sender import configured, problems

PURPOSE = "ILL e-mail notices (SMTP)"


def notice_ports(settings: Settings) -> list[tuple[str, int, str]]:
    """(host, port, purpose) of the mail server notices are sent through: none when the
    ILL side is off, or no mail server is configured."""
    ill = settings.ill
    if not ill.enabled or not configured(ill.smtp):
        return []
    security = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no TLS"}.get(
        ill.smtp.security, ill.smtp.security
    )
    return [(ill.smtp.host.strip(), ill.smtp.port, f"{PURPOSE}, {security}")]


def notice_status(settings: Settings) -> tuple[bool, str]:
    """Whether notices go out, in a sentence for ``doctor``. ok False: settings to fix. No
    mail server, or sending switched off, is a choice (notices queue), not a fault."""
    ill = settings.ill
    if not ill.enabled:
        return True, "ILL e-mail notices: the ILL side is off"
    found = problems(ill.smtp)
    if found:
        return False, "ILL e-mail notices: " + " ".join(found)
    if not configured(ill.smtp):
        return True, (
            "ILL e-mail notices: no mail server ([ill.smtp] host): notices are queued, not sent"
        )
    if not ill.notices.enabled:
        return True, (
            "ILL e-mail notices: switched off ([ill.notices] enabled = false): notices are "
            "queued, not sent"
        )
    return True, (
        f"ILL e-mail notices: sent through {ill.smtp.host}:{ill.smtp.port} ({ill.smtp.security})"
    )
