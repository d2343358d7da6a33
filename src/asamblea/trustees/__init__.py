"""Standing boards of trustees: keys made without a dealer, partial decryptions of totals."""
