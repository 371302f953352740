"""The ML core: model cache, pipelines, hosted inference client, review data, tuning.

It knows nothing of IoP, IRIS or the web; ``src/python/bo.py`` is the glue.
"""
