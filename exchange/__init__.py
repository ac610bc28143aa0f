"""Story Exchange: facilitated, realtime story exchanges between practitioners."""
