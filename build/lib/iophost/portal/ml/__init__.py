"""The portal's ML pages (Models, Data, training runs): they read what the ML core writes, with its names
from :mod:`mlcore.layout`, the one module of the ML core the host imports."""
