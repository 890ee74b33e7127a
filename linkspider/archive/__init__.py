"""``linkspider archive``: backlinks from WARC archives, on Apache Spark.

Entry point for other inputs (Common Crawl's index): :func:`linkspider.archive.job.run_job`
with :class:`linkspider.archive.inputs.WarcInput` items, whole files or record ranges.
"""
