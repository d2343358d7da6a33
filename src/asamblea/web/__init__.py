"""Server-rendered pages: mobile first, light, and complete without JavaScript."""
