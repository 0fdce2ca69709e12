"""Dialogs to request, respond, reschedule, cancel, and read an appointment's history."""
