"""The bridge admin API: listeners switched off and on at runtime."""
