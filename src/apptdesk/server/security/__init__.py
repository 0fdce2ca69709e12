"""Passwords, tokens and sign-in throttling."""
