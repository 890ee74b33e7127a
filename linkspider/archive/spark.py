"""The Spark session of ``linkspider archive``: local by default, a cluster's under
``spark-submit``, and one clear line when Java is missing.

PySpark starts a JVM: without a Java runtime it fails with a long traceback, so
:func:`find_java` checks first (``JAVA_HOME``, then ``PATH``).
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
APP_NAME = "linkspider-archive"


class SparkUnavailable(Exception):
    """Spark cannot start here (no Java, no pyspark, the JVM failed): one line."""


def find_java() -> str:
    """The ``java`` executable Spark will run, or :class:`SparkUnavailable`."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if java.is_file() and os.access(java, os.X_OK):
            return str(java)
        raise SparkUnavailable(
            f"JAVA_HOME={home} has no bin/java: linkspider archive runs on Apache Spark, "
            "which needs a Java 17+ runtime (set JAVA_HOME to one)"
        )
    java_path = shutil.which("java")
    if java_path is None:
        raise SparkUnavailable(
            "Java not found: linkspider archive runs on Apache Spark, which needs a Java 17+ "
            "runtime (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
        )
    return java_path


def under_spark_submit() -> bool:
    """True when ``spark-submit`` started this driver (it chose the master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def start_session(master: str | None = None, shuffle_partitions: int = 8) -> SparkSession:
    """A Spark session: ``master``, else spark-submit's, else ``local[*]``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "pyspark is not installed: pip install 'linkspider[archive]'"
        ) from None
    if not under_spark_submit():
        find_java()
    if (master or DEFAULT_MASTER).startswith("local") and not under_spark_submit():
        # one machine: no "hostname resolves to a loopback address" warning
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    builder = SparkSession.builder.appName(APP_NAME)
    if master or not under_spark_submit():
        builder = builder.master(master or DEFAULT_MASTER)
        # executors of a local master run this Python, with linkspider importable
        builder = builder.config("spark.pyspark.python", sys.executable)
        builder = builder.config("spark.pyspark.driver.python", sys.executable)
        builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    try:
        return builder.getOrCreate()
    except Exception as exc:  # PySparkRuntimeError JAVA_GATEWAY_EXITED and the like
        text = " ".join(str(exc).split())[:300]
        raise SparkUnavailable(f"Spark did not start: {text}") from None
