"""The web pages: one FastAPI app (``app.create_app``) with Jinja2 templates and static files.

``search_routes`` is the copy-cataloguing search (form, live results, record and cluster
views, downloads); ``sessions`` keeps the searches running behind it; ``server`` runs the app
with uvicorn inside ``shelfnet serve``.
"""
