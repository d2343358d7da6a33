"""The chair's console: agenda, attendance, motions, divisions, resolutions, minutes."""
