"""The trustees' actions, one module per aggregate: boards, key generation, decryption."""
