"""The JSON API (django-ninja), described by OpenAPI at /api/docs.

Conventions for every endpoint:
- lists return ``{"items": [...], "count": n}`` and take ``?limit=&offset=``;
- ids are integers;
- errors are 4xx with ``{"detail": ..., "field": ...}``;
- writes authenticate with a bearer token (``asamblea token create USER``) or, for members, a
  voting or sign-in credential; no cookie session and no CSRF on /api/.
"""
