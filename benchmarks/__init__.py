"""Proof in numbers and under load: the benchmark (``python -m benchmarks``) and the
helpers the browser and load tests share with it (a real gunicorn on loopback,
a demo database, a form-filling HTTP client)."""
