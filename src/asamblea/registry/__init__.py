"""The register: organisations, bodies, members, memberships, rolls, seats and mandates."""
