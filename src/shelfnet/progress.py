"""The progress bar of long commands (imports): bytes read out of the files' total."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def byte_progress(console: Console) -> Progress:
    """A transient bar with a description, bytes done and the time left (Rich loads here,
    when a command shows one, not with every command)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
