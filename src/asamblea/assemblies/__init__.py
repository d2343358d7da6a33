"""Django app `assemblies`."""
