"""Qt models over the API's typed results: table models for the views, plus small state objects."""
