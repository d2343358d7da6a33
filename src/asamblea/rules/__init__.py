"""Pure rules: thresholds, quorum, apportionment, recall rules. Imports no Django."""
