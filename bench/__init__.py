"""The load benchmark of the live engine, and the bare websocket baselines it is measured against."""
