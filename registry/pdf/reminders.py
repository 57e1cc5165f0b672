"""The reminder (công văn đôn đốc) in the Decree 30 layout of a công văn: "Số: 12/UBND-VHTT"
with its trích yếu under it, "Kính gửi", the letter, the table of the listed venues, Nơi nhận
and the signature. A draft is watermarked DỰ THẢO; always Vietnamese, whatever the screen
language."""
from __future__ import annotations

from flask_babel import force_locale

from registry.models import Reminder
from registry.pdf import render_pdf


def render_reminder_pdf(reminder: Reminder, *, draft: bool) -> bytes:
    """The reminder's PDF (the signed one is rendered once at sign-off and stored)."""
    paragraphs = [p.strip() for p in (reminder.body or "").split("\n") if p.strip()]
    with force_locale("vi"):
        return render_pdf("pdf/reminder.html", stylesheets=("report.css",), reminder=reminder,
                          commune=reminder.commune, draft=draft, first=paragraphs[:1],
                          rest=paragraphs[1:])


def draft_reminder_pdf(reminder: Reminder) -> bytes:
    """A draft's PDF, watermarked DỰ THẢO (never stored)."""
    return render_reminder_pdf(reminder, draft=True)
