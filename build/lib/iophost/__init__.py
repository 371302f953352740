"""The embedded local host: runs an IoP production without IRIS.

It knows nothing of the components it runs: it loads the production's ``settings.py`` by
path, as ``iop --migrate`` does, and drives each item the way IRIS drives it.
"""
