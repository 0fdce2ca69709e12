"""Widgets, dialogs and the tray. They talk to ``AppSession`` and the models, never to HTTP or storage."""
