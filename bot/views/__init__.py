"""Block Kit views: pure builders of messages, modals and the Home tab from the domain's objects."""
