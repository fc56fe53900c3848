"""The domain model: scenario records, dispatch state and history."""
