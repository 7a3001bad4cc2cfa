"""JAX set-up for the app: a persistent compilation cache so a restart does not recompile."""
from __future__ import annotations

import jax

from engine.cache import cache_dir


def configure_jax() -> None:
    try:
        path = cache_dir("jax")
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: run without the cache
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
