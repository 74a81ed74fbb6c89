"""Domain logic: plain typed objects, never imports telegram."""
