"""JavaScript rendering with scrapy-playwright and Debian's Chromium.

* :mod:`linkspider.render.browser`: the render mode, the Chromium executable and the
  settings that switch scrapy-playwright on (only when rendering is on).
* :mod:`linkspider.render.guard`: what the browser may request (no images, media, fonts;
  the SSRF policy for every request it makes).
* :mod:`linkspider.render.page`: how a page is rendered (from the raw HTML already
  fetched, then settled: load, scroll, short network quiet).
* :mod:`linkspider.middlewares.render`: which pages are rendered (``render=auto|always``).

The pure parts live in :mod:`linkspider.extract.client_rendered` (the ``auto`` heuristic)
and :mod:`linkspider.extract.rendered` (merging raw and rendered links).
"""
