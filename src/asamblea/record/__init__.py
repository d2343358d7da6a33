"""Pure public-record code: canonical encoding, Merkle log, checkpoints, verification. No Django."""
