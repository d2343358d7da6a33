"""The cryptographic core of sealed ballots: pure, no Django, no database.

Modules, from the bottom up: ``group`` (ristretto255 through libsodium), ``transcript``
(Fiat-Shamir challenges and the context every proof is bound to), ``elgamal`` (exponential
ElGamal), ``proofs`` (Schnorr, Chaum-Pedersen, disjunctive proofs), ``threshold`` (a board of
trustees: key generation without a dealer, partial decryptions, combination) and ``ballot``
(sealed yes/no, plurality and approval ballots). The specification followed is Belenios 2.0;
docs/adr/0008-sealed-ballot-cryptography.md gives the sections, the deviations and the figures.
"""
