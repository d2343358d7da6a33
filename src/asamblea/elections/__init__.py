"""Django app `elections`."""
