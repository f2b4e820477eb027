"""Calendar feeds: what each feed holds and the private feeds' secret tokens. No HTTP here."""
