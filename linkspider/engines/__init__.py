"""The table engines: a run's JSON Lines to CSV and Parquet (DuckDB, Arrow), spreadsheet
cells and headers. Below the history (:mod:`linkspider.monitor`) and the report builders
(:mod:`linkspider.reports`), which both use them."""
