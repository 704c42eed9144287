"""Operations: health snapshot, Prometheus metrics, the ops HTTP server and logging set-up."""
