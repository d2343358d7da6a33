"""Storage of the public record in the database (the pure encoding and proofs are in asamblea.record)."""
