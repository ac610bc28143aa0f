"""Transcripts and exports: PURE build(events) -> Transcript, one module per format, and the routes."""
