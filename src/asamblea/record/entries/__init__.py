"""Typed public record entries, one module per area (registry, elections, assemblies, record).

Importing this package registers every entry type; the verifier and the appender rely on that.
"""
