"""Tables, the database session and the Slack-free rules of the Single Conversation."""
