"""Pure counting: ballots, methods, tie-breaks and explanations. Imports no Django."""
