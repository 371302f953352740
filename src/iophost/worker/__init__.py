"""The worker side of the host: each production item runs in worker processes, reached through a pipe.

Host side (in the host process):
    :mod:`.host_pool`        an item's pool of worker processes, its queue and batching
    :mod:`.host_calls`       calls between items: stored as hops, routed, answered
    :mod:`.host_call_graph`  who waits on which call, so that a cycle of waits is refused
Worker side (in each worker process):
    :mod:`.child_process`    the process's body: build the component, serve its pipe, poll
    :mod:`.child_calls`      IoP's sending API of the component, over the pipe
    :mod:`.component`        create and drive a component as IRIS does, (de)serialize messages
Both sides:
    :mod:`.pipe`             every message that crosses the pipe, as a named type, and body framing
"""
