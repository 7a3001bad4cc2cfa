"""nn-playground's engine: pure JAX, knows nothing of the page."""
