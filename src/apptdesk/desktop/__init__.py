"""The desktop client's plumbing without Qt: remembered settings, the keyring, the embedded server, logs."""
