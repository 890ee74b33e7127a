"""Start-up objects out of the garbage collector's reach (``LINKSPIDER_GC_FREEZE``).

Python's cyclic garbage collector walks every tracked object at each full collection. A
crawl's process holds some 100,000-200,000 objects from its start-up (modules, classes,
functions, settings, components) that live as long as it does: a full collection of a
crawl process took 50-110 ms, and a 5,000-page crawl made 13 of them.
:func:`freeze_startup_objects` collects once and moves every object alive into the
permanent generation (:func:`gc.freeze`): later collections walk only what was made since,
and nothing is kept that the collection would have freed. Used by
:mod:`linkspider.extensions.gc_freeze` (the crawl's process, when its engine has started)
and :mod:`linkspider.offload.worker` (an extraction process, after its start-up).
"""

from __future__ import annotations

import gc

#: The environment variable that tells an extraction process the setting ("0": off).
ENV = "LINKSPIDER_GC_FREEZE"


def freeze_startup_objects() -> int:
    """Collect, then move every live tracked object to the permanent generation; how many
    objects are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
