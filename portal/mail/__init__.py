"""Mail: messages in the user's language, the outbox written with its cause, and sending."""
