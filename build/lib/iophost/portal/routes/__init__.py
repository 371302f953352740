"""The portal's routes: login, pages (GET), form actions (POST) and JSON endpoints."""
