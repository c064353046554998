"""The domain: dataclasses, settings, errors and the taxonomy as data."""
