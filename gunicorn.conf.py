"""gunicorn settings for blogapp: ``gunicorn wsgi:app`` reads this file.

Each value can be changed from the environment (see docs/operators/install.md, gunicorn):
BLOGAPP_BIND (or PORT), BLOGAPP_WORKERS (or WEB_CONCURRENCY), BLOGAPP_THREADS,
BLOGAPP_TIMEOUT."""

import ctypes
import ctypes.util
import os
import shutil
import tempfile

# Running under gunicorn means production: the app refuses the development
# SECRET_KEY. The app's request log (one JSON line per request, with its request id,
# blogapp/request_log.py) replaces gunicorn's access log, which BLOGAPP_ACCESS_LOG=true
# turns back on.
os.environ.setdefault("BLOGAPP_PRODUCTION", "true")
os.environ.setdefault("BLOGAPP_REQUEST_LOG", "true")
# Its lines are held in each worker and written together, within a second: a write per
# request cost a 304 a sixth of its rate (blogapp/request_log.py).
os.environ.setdefault("BLOGAPP_REQUEST_LOG_BUFFER_BYTES", "16384")

# Prometheus metrics (blogapp/metrics) add up every worker's counts from files in one
# folder, named before any worker imports prometheus_client. The master empties it at
# start (counts of an earlier run would be added in) and forgets each worker that exits.
# The deliver service may share it (the same PROMETHEUS_MULTIPROC_DIR in its environment).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="blogapp-metrics-")


def _bind() -> str:
    if os.environ.get("BLOGAPP_BIND"):
        return os.environ["BLOGAPP_BIND"]
    if os.environ.get("PORT"):  # platforms that hand out a port expect every interface
        return f"0.0.0.0:{os.environ['PORT']}"
    return "127.0.0.1:8000"  # behind nginx on the same host


def _workers() -> int:
    configured = os.environ.get("BLOGAPP_WORKERS") or os.environ.get("WEB_CONCURRENCY")
    if configured:
        return max(1, int(configured))
    # os, not multiprocessing: the master's imports are resident in every worker.
    return (os.cpu_count() or 1) * 2 + 1


bind = _bind()
workers = _workers()
# Requests mostly wait on the database: threads let a worker serve others meanwhile,
# at far less memory than more processes.
worker_class = "gthread"
threads = int(os.environ.get("BLOGAPP_THREADS", "4"))
timeout = int(os.environ.get("BLOGAPP_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Off by default: recycling every N requests restarts all workers at about the same
# time under steady load. Set it if a worker ever grows without bound.
max_requests = int(os.environ.get("BLOGAPP_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Each worker opens its own database connections after the fork.
preload_app = False
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off the disk

# Client addresses and https come from ProxyFix (PROXY_FIX_COUNT), one place to trust proxies.
forwarded_allow_ips = ""

# stdout: method, path, status, size, time; off unless asked for (the app's line says more)
accesslog = "-" if os.environ.get("BLOGAPP_ACCESS_LOG", "").lower() in ("1", "true") else None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"  # stderr: startup, worker and application errors with tracebacks
loglevel = os.environ.get("BLOGAPP_LOG_LEVEL", "info")


# glibc gives each thread that allocates its own malloc arena (up to 8 per core),
# and each holds on to freed memory: one arena keeps a gthread worker several MB
# smaller at no measurable cost (the threads take turns on the GIL for most of
# their allocations anyway). MALLOC_ARENA_MAX in the environment would come too
# late (the master has already started), so each worker sets it after the fork.
M_ARENA_MAX = -8
MALLOC_ARENAS = int(os.environ.get("BLOGAPP_MALLOC_ARENAS", "1"))


def post_fork(server, worker) -> None:
    libc_name = ctypes.util.find_library("c")
    if MALLOC_ARENAS > 0 and libc_name and "libc.so" in libc_name:
        try:
            ctypes.CDLL(libc_name).mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        except (OSError, AttributeError):  # not glibc after all: keep its defaults
            pass


def post_worker_init(worker) -> None:
    # Importing the app frees about a megabyte of the heap's middle, which glibc keeps
    # unless asked: handed back once, before the worker takes its first request.
    libc_name = ctypes.util.find_library("c")
    if libc_name and "libc.so" in libc_name:
        try:
            ctypes.CDLL(libc_name).malloc_trim(0)
        except (OSError, AttributeError):
            pass


def on_starting(server) -> None:
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
