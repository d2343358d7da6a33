"""The crash test: a PostgreSQL cluster of its own, a production server, voters, and chaos."""
