"""Errors, notices and status messages, carried to whatever displays them.

Every lab model reports through one :class:`Notifications`; the window shows errors and notices
as dialogs and messages in the status bar, a script may print them, a test may collect them.
"""

from __future__ import annotations

from psygnal import Signal


class Notifications:
    error = Signal(str, str, str)  # title, message, details (a traceback, folded away)
    notice = Signal(str, str, str)  # title, message, details: worth knowing, not an error
    message = Signal(str)  # one line for the status bar

    def report_error(self, title: str, text: str, details: str = "") -> None:
        self.error.emit(title, text, details)

    def report_notice(self, title: str, text: str, details: str = "") -> None:
        self.notice.emit(title, text, details)

    def say(self, text: str) -> None:
        self.message.emit(text)
