"""The REST API v1 (互联互通): other systems exchange data with the platform (issue #10)."""
