"""Compare: up to nine toy-lab runs trained at once, side by side."""
