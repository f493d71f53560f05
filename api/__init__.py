"""The JSON API under /api/v1/ for district systems and the state's data warehouse."""
