"""The server's operations: each takes a session and the acting user, and enforces the domain rules."""
