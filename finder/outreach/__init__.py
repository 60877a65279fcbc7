"""The verification round: every office is asked, through a personal link, to confirm or correct its entry.

- :mod:`~finder.outreach.tokens`: random, signed links tied to one office, round and expiry;
- :mod:`~finder.outreach.store`: :class:`OutreachStore`, the round's links, answers and send log in the
  corrections database; an answer becomes a suggestion (reviewed as a whole), "everything is still
  correct" a confirmation;
- :mod:`~finder.outreach.plan`: which offices to ask (:class:`Rule`), their states and the coverage;
- :mod:`~finder.outreach.messages`: the German e-mails (``.eml``), the mail-merge CSV, printable letters;
- :mod:`~finder.outreach.send`: SMTP, only when ``FINDER_SMTP_HOST`` is set, rate-limited and logged;
- :mod:`~finder.outreach.hours_editor`: the weekly hours of the office's page as ``opening_hours``.

The command line is ``finder outreach`` (:mod:`finder.cli.outreach`), the office's page ``/verify``.
"""
