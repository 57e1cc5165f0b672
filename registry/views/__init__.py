"""Blueprints, one per feature; views are the only place that commits."""
