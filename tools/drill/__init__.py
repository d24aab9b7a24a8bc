"""Rollback drills: walk the cutover under load, break HTTP, prove the way back works."""
